"""A request rate shared by every process of a library run (one file, one lock).

Snakemake runs the tmdb stage of many movies at once, in separate processes (or on
separate cluster nodes sharing the cache folder). A limit kept in memory would let each
of them send the full rate, so the schedule lives in a file: under an exclusive lock,
each caller books the next free slot (at least 1/rate seconds after the previous one,
whoever booked it) and then sleeps until its slot, outside the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

STALE_S = 600.0


def wait_for_slot(path: str | os.PathLike[str], per_second: float) -> float:
    """Block until this process may send one request; returns the seconds waited."""
    if per_second <= 0:
        return 0.0
    interval = 1.0 / per_second
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = os.pread(fd, 64, 0).decode("ascii", errors="ignore").strip()
        try:
            booked = float(raw)
        except ValueError:
            booked = 0.0
        now = time.time()
        # A slot more than STALE_S ahead is a clock that jumped back, not a queue (the
        # tmdb stage times out long before): not a reason to wait.
        if booked > now + STALE_S:
            booked = 0.0
        slot = max(now, booked + interval)
        data = f"{slot:.6f}".encode("ascii")
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
    finally:
        os.close(fd)  # also releases the lock
    wait = slot - time.time()
    if wait > 0:
        time.sleep(wait)
    return max(0.0, wait)
