"""Stage timeouts on a local run.

Snakemake's local executor does not enforce `resources: runtime`, and a Python
signal alarm cannot stop a thread stuck in native code or kill child processes.
So each stage job becomes its own process group and starts this watchdog in a new
session: at the deadline it TERMs the whole group, KILLs it after a grace period,
and records `failed: timed out after N s` in the stage's status file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

from . import status

GRACE_SECONDS = 10.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _descendants(pid: int) -> list[Any]:
    try:
        import psutil

        return psutil.Process(pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - no psutil, or the job just ended
        return []


def _pgid(proc: Any) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except OSError:
        return None


def _signal_all(procs: list[Any], sig: int) -> None:
    for proc in procs:
        try:
            proc.send_signal(sig)  # psutil checks that the pid was not reused
        except Exception:  # noqa: BLE001 - already gone
            pass


def _any_alive(procs: list[Any]) -> bool:
    return any(_alive(p.pid) and p.is_running() for p in procs)


def watch(pid: int, pgid: int, timeout: float, status_file: str, poll: float = 0.2) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return 0
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
    if not _alive(pid):
        return 0
    message = f"timed out after {timeout:g} s (timeouts in config.yaml)"
    # Descendants that left the group (a tool that calls setsid) are not reached by
    # killpg: take them from the process tree before anything dies and reparents.
    # (The job started this watchdog: it is one of them, and must not stop itself.)
    me = os.getpid()
    strays = [p for p in _descendants(pid) if p.pid != me and _pgid(p) != pgid]
    status.update(status_file, timed_out=True, error=message)
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    _signal_all(strays, signal.SIGTERM)
    end = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < end and (_group_alive(pgid) or _any_alive(strays)):
        time.sleep(poll)
    if _group_alive(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _signal_all(strays, signal.SIGKILL)
    # The job is gone: it can no longer write its status, so the watchdog closes it.
    data = status.read_status(status_file) or {}
    if data.get("status") == status.SKIPPED:
        return 0  # an optional stage recorded its own timeout as skipped
    if data.get("status") != status.FAILED or data.get("error") != message:
        status.finish(
            status_file, status.FAILED, duration=timeout, notes=data.get("notes", ""), error=message
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--pgid", type=int, required=True)
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--status", required=True)
    a = p.parse_args(argv)
    return watch(a.pid, a.pgid, a.timeout, a.status)


if __name__ == "__main__":
    sys.exit(main())
