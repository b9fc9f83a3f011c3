"""Stage timeouts on a local run.

Snakemake's local executor does not enforce `resources: runtime`, and a Python
signal alarm cannot stop a thread stuck in native code or kill child processes.
So each stage job becomes its own process group and starts this watchdog in a new
session: at the deadline it TERMs the whole group, KILLs it after a grace period,
and records `failed: timed out after N s` in the stage's status file.

Ctrl-C takes the same road: the main snakemake process (subsmith.harness.interrupt) sends
each watchdog SIGUSR1, and the watchdog stops its job's whole tree at once, recording
the stage `failed: interrupted (Ctrl-C) ...`, so the next run redoes it.

So does SIGTERM, the way systemd, cron wrappers, `timeout`, container stops and SLURM's
scancel stop things: the main process sends SIGUSR2 (SIGTERM to snakemake), or the job
itself is sent SIGTERM (scancel signals every process of the job: the watchdog too,
which takes it the same way). A job busy in native code (a model's decode) cannot run
its Python handler, so the job hands its signals to the watchdog at C level: its
wakeup fd (signal.set_wakeup_fd) is a pipe the watchdog reads, which gets the signal's
number the moment it arrives. Either way the stage is recorded
`failed: interrupted (SIGTERM) ...`.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

from ..core.processes import alive
from . import status

GRACE_SECONDS = 10.0
# Ctrl-C: a user waits at the terminal, so a stage stuck in native code (where Python
# cannot run its SIGTERM handler) is killed sooner than after a timeout.
INTERRUPT_GRACE_SECONDS = 3.0
INTERRUPTED = "interrupted (Ctrl-C): the next run redoes this stage"
TERMINATED = "interrupted (SIGTERM): the next run redoes this stage"
# What stops the job at once, and the error it records.
_REASONS = {
    signal.SIGUSR1: INTERRUPTED,  # Ctrl-C in the main process
    signal.SIGUSR2: TERMINATED,  # SIGTERM to the main process
    signal.SIGTERM: TERMINATED,  # SIGTERM to this watchdog, or (wakeup fd) to the job
}

_reason: str | None = None


def _on_signal(signum: int, frame: Any) -> None:
    global _reason
    _reason = _reason or _REASONS.get(signum)


if __name__ == "__main__":
    # The job starts this watchdog with these signals blocked (job._start_watchdog): one
    # sent while the interpreter starts (a Ctrl-C or SIGTERM right after the job began)
    # waits, instead of killing the watchdog by its default action, and is taken here.
    for _sig in _REASONS:
        signal.signal(_sig, _on_signal)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, set(_REASONS))


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
    return any(alive(p.pid) and p.is_running() for p in procs)


def _wait(seconds: float, wakeup_fd: int | None) -> None:
    """Sleep up to `seconds`; a signal the job received (its number, written to the
    wakeup pipe) ends the wait. The job's end closes the pipe: then sleep plainly."""
    global _reason
    if wakeup_fd is None:
        time.sleep(seconds)
        return
    try:
        ready = select.select([wakeup_fd], [], [], seconds)[0]
    except InterruptedError:
        return
    if not ready:
        return
    try:
        data = os.read(wakeup_fd, 64)
    except OSError:
        data = b""
    if signal.SIGTERM in data:
        _reason = _reason or TERMINATED
    elif not data:  # the job exited (every copy of the write end closed)
        os.close(wakeup_fd)
        time.sleep(seconds)
        raise _PipeClosed


class _PipeClosed(Exception):
    pass


def watch(
    pid: int,
    pgid: int,
    timeout: float,
    status_file: str,
    poll: float = 0.2,
    wakeup_fd: int | None = None,
) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not _reason:
        if not alive(pid):
            return 0
        try:
            _wait(min(poll, max(0.0, deadline - time.monotonic())), wakeup_fd)
        except _PipeClosed:
            wakeup_fd = None
    if not alive(pid):
        return 0
    if _reason:
        return stop(pid, pgid, status_file, _reason, None, INTERRUPT_GRACE_SECONDS, poll)
    message = f"timed out after {timeout:g} s (timeouts in config.yaml)"
    return stop(pid, pgid, status_file, message, timeout, GRACE_SECONDS, poll)


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _freeze(pid: int, pgid: int, me: int) -> list[Any]:
    """SIGSTOP the job's group and every descendant outside it; returns those outside.

    Descendants that left the group (a tool that calls setsid) are not reached by
    killpg: they are taken from the process tree before anything dies and reparents.
    Stopped first, none can start another process while the snapshot is taken (a
    SIGTERM that lands while the stage starts its children: a child half-started would
    otherwise escape); they are continued just before the TERM. Strays are stopped and looked under again until no new one
    appears. (The job started this watchdog: it is one of them, and must not stop
    itself.)"""
    _killpg(pgid, signal.SIGSTOP)
    strays: dict[int, Any] = {}
    for _ in range(10):
        found = _descendants(pid) + [c for p in strays.values() for c in _descendants(p.pid)]
        new = [p for p in found if p.pid != me and p.pid not in strays and _pgid(p) != pgid]
        if not new:
            break
        _signal_all(new, signal.SIGSTOP)
        strays.update((p.pid, p) for p in new)
    return list(strays.values())


def stop(
    pid: int,
    pgid: int,
    status_file: str,
    message: str,
    duration: float | None,
    grace: float,
    poll: float = 0.2,
) -> int:
    """Stop the job's whole tree (TERM, then KILL after `grace`) and record why."""
    me = os.getpid()
    strays = _freeze(pid, pgid, me)
    reason = "timed_out" if duration is not None else "interrupted"
    status.update(status_file, **{reason: True}, error=message)
    # Continued before the TERM: a signal sent to a stopped process waits, and is then
    # taken by whichever of its threads wakes first, which in Python is often not the
    # main thread, the only one that runs handlers (its sleep goes on undisturbed).
    _killpg(pgid, signal.SIGCONT)
    _signal_all(strays, signal.SIGCONT)
    _killpg(pgid, signal.SIGTERM)
    _signal_all(strays, signal.SIGTERM)
    end = time.monotonic() + grace
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
        if duration is None and data.get("started_at"):
            started = datetime.fromisoformat(data["started_at"])
            duration = (datetime.now(UTC) - started).total_seconds()
        status.finish(
            status_file,
            status.FAILED,
            duration=duration,
            notes=data.get("notes", ""),
            error=message,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--pgid", type=int, required=True)
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--status", required=True)
    p.add_argument("--wakeup-fd", type=int, default=None)
    a = p.parse_args(argv)
    return watch(a.pid, a.pgid, a.timeout, a.status, wakeup_fd=a.wakeup_fd)


if __name__ == "__main__":
    sys.exit(main())
