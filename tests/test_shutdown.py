"""subsmith.harness.shutdown against Snakemake's real scheduler code: if a Snakemake upgrade
renames the wake-up timer, these fail and say so, instead of the idle second silently
coming back."""

import threading
import types

from snakemake.scheduling.job_scheduler import JobScheduler

from subsmith.harness import shutdown


def test_cancels_the_schedulers_wakeup_timer_and_nothing_else():
    woken = threading.Semaphore(0)
    # Snakemake's own method, on a stand-in holding the one attribute it touches.
    JobScheduler._schedule_reevalutation(types.SimpleNamespace(_open_jobs=woken), 30)
    other = threading.Timer(30, lambda: None)
    other.start()
    try:
        ours = [
            t
            for t in threading.enumerate()
            if isinstance(t, threading.Timer) and t is not other and t.is_alive()
        ]
        assert len(ours) == 1, "Snakemake's scheduler no longer starts a threading.Timer"

        assert shutdown.release_scheduler_timers() == 1
        ours[0].join(timeout=5)
        assert not ours[0].is_alive()
        assert not woken.acquire(blocking=False), "cancelled, so it never fired"
        assert other.is_alive(), "an unrelated timer was cancelled"
    finally:
        other.cancel()


def test_nothing_pending_is_fine():
    assert shutdown.release_scheduler_timers() == 0
