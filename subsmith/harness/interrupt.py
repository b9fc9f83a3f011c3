"""Ctrl-C in a terminal: the running stages stop at once, recorded as interrupted.

Each stage job is its own process group (for the timeout watchdog, subsmith.harness.job), so
the terminal's SIGINT reaches only the main snakemake process; Snakemake then waits
for its running jobs to end (its thread pool's shutdown), so a long asr went on to
the end and was still redone on the next run. This handler, installed in the main
process, asks every job's watchdog (SIGUSR1) to stop its job's whole process tree
now and record the stage `failed: interrupted (Ctrl-C) ...`, then lets Snakemake wind
down as on any Ctrl-C. A second Ctrl-C prints one line and nothing else (no
KeyboardInterrupt traceback from inside Snakemake's event loop). At exit the
manifests are rendered once more, so none is left saying `running`.

SIGTERM (systemd, cron wrappers, `timeout`, container stops, SLURM's scancel) is the
same request without a terminal, and Snakemake's own answer to it is to wait for the
running jobs to end ("Will exit after finishing currently running jobs"): an asr of
hours. Its scheduler installs that handler when it is built, after the Snakefile is
read, so the onstart hook takes SIGTERM back (take_sigterm): the running stages are
stopped the same way (SIGUSR2 to their watchdogs: `failed: interrupted (SIGTERM) ...`)
and snakemake exits as on Ctrl-C.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from typing import Any

_presses = 0


def install(output_dir: str) -> None:
    """Take over SIGINT and SIGTERM in this (the main snakemake) process."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _on_signal)
    take_sigterm()
    atexit.register(_close_manifests, output_dir)


def take_sigterm() -> None:
    """Handle SIGTERM here; called again once Snakemake's scheduler has set its own."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)


def watchdogs() -> list[Any]:
    """The watchdog processes of this process's running jobs."""
    try:
        import psutil

        procs = psutil.Process(os.getpid()).children(recursive=True)
    except Exception:  # noqa: BLE001 - no psutil, or a process just ended
        return []
    found = []
    for p in procs:
        try:
            if "subsmith.harness.watchdog" in p.cmdline():
                found.append(p)
        except Exception:  # noqa: BLE001 - gone meanwhile
            pass
    return found


def stop_jobs(sig: int = signal.SIGUSR1) -> int:
    """Ask every job's watchdog to stop its job now (SIGUSR1: Ctrl-C, SIGUSR2: SIGTERM);
    returns how many were asked."""
    n = 0
    for p in watchdogs():
        try:
            p.send_signal(sig)  # psutil checks the pid was not reused
            n += 1
        except Exception:  # noqa: BLE001 - gone meanwhile
            pass
    return n


def _on_signal(signum: int, frame: Any) -> None:
    """Ctrl-C or SIGTERM: stop the running stages, then wind down as on Ctrl-C. A second
    request (of either kind) only says that it is under way."""
    global _presses
    _presses += 1
    if _presses > 1:
        if _presses == 2:
            print(
                "subsmith: stopping the running stages (a few seconds at most)",
                file=sys.stderr,
                flush=True,
            )
        return
    stop_jobs(signal.SIGUSR2 if signum == signal.SIGTERM else signal.SIGUSR1)
    raise KeyboardInterrupt


def _close_manifests(output_dir: str) -> None:
    if not _presses:
        return
    from . import manifest

    try:
        for d in manifest.movie_dirs(output_dir):
            manifest.write(d, manifest.FINISHED)
    except Exception:  # noqa: BLE001 - never a traceback on the way out
        pass
