"""Checks before anything runs: each problem is one line naming the thing and the fix."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .errors import StageError

# --- free space, per movie, before a stage writes something big ---------------------------

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


def check(config: dict[str, Any], library: dict[str, Path]) -> list[str]:
    # Imported here, not at the top: the Snakefile imports this module, and numpy (via
    # asr and vad) would add ~50 ms to every `snakemake --dry-run`, where no check runs.
    from . import asr, spoken
    from .vad import silero

    problems: list[str] = []
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            problems.append(f"{tool} is not on PATH; install it (Debian: apt-get install ffmpeg)")
    try:
        silero.model_path()
    except StageError as exc:
        problems.append(str(exc))
    model, language = config["asr"]["model"], config["language"]
    refused = spoken.refusal(model, language)
    if refused:
        problems.append(refused)
    # The model this language needs (both offline ones when it is detected per movie).
    model_issue = asr.model_problem(
        model if language == "auto" else spoken.model_for(model, language)
    )
    if model_issue:
        problems.append(model_issue)

    in_dir = Path(config["input_dir"])
    if not in_dir.is_dir():
        problems.append(
            f"{in_dir}: the input folder does not exist; put the movies there or set input_dir"
        )
    elif not os.access(in_dir, os.R_OK | os.X_OK):
        problems.append(f"{in_dir}: the input folder is not readable; fix its permissions")
    for path in sorted(library.values()):
        if not os.access(path, os.R_OK):
            problems.append(f"{path}: this movie is not readable; fix its permissions")

    out_dir = Path(config["output_dir"])
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        problems.append(
            f"{out_dir}: cannot write to the output folder ({exc.strerror}); "
            "fix its permissions or set output_dir"
        )
    return problems
