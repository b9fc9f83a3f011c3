"""Free space, per movie, before a stage writes something big: each shortage is one line
naming the folder and the fix. (The checks before anything runs are startup.py's.)"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import StageError

WAV_BYTES_PER_SECOND = 16_000 * 2  # demux's wav: 16 kHz, 16-bit, mono
SPARE = 0.02  # more than the estimate: the file system's own, the logs and JSON beside it


def size_text(n: float) -> str:
    """Bytes as people read a disk's size: 950 MB, 1.2 GB, 3.4 TB."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{max(n, 0) / 1e3:.0f} KB"


def free_bytes(folder: str | os.PathLike[str]) -> int:
    """Free space for an unprivileged writer where `folder` is (or would be created)."""
    path = Path(os.path.abspath(folder))
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def need_space(
    folder: str | os.PathLike[str], needed: float, what: str, free: int | None = None
) -> None:
    """Fail (StageError, one line) when `folder`'s disk has less than `needed` bytes (+
    2 %) free for `what`. `free` stands in for the disk's free space (tests)."""
    free = free_bytes(folder) if free is None else free
    needed *= 1 + SPARE
    if free < needed:
        raise StageError(
            f"{folder}: {size_text(free)} free, about {size_text(needed)} needed for "
            f"{what}; free some space or set output_dir to a bigger disk"
        )


def wav_bytes(duration_s: float) -> float:
    """The size of demux's wav for `duration_s` seconds of audio."""
    return duration_s * WAV_BYTES_PER_SECOND
