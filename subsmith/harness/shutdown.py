"""Let `snakemake` exit as soon as its work is done.

Snakemake 9's job scheduler (default `--max-jobs-per-timespan 100/1s`) starts a
non-daemon `threading.Timer` of one second after every scheduling pass, to wake itself
up again. When the last job has finished, the interpreter still waits for the newest of
these timers before it exits: about one idle second at the end of every run (measured
in bench/results.md, section 2), which is a quarter of the workflow's own overhead on a
short movie. The timers only release the scheduler's semaphore, and once the onsuccess
or onerror handler runs the scheduler has stopped, so cancelling them loses nothing.
"""

from __future__ import annotations

import threading

# The qualified name of the timer's callback in snakemake/scheduling/job_scheduler.py;
# if a later Snakemake renames it, nothing matches and nothing is cancelled.
_SCHEDULER_TIMER = "JobScheduler._schedule_reevalutation.<locals>.<lambda>"


def release_scheduler_timers() -> int:
    """Cancel Snakemake's pending scheduler wake-up timers; returns how many."""
    n = 0
    for t in threading.enumerate():
        if not isinstance(t, threading.Timer):
            continue
        fn = getattr(t, "function", None)
        if getattr(fn, "__qualname__", "") == _SCHEDULER_TIMER:
            t.cancel()
            n += 1
    return n
