"""Checks before anything runs: each problem is one line naming the thing and the fix.

Run once by the Snakefile (rules/common.smk) before any job starts: the tools on PATH,
the models the configured language needs, the input folder and every movie readable,
the output folder writable."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..core.errors import StageError


def check(config: dict[str, Any], library: dict[str, Path]) -> list[str]:
    # Imported here, not at the top: the Snakefile imports this module, and numpy (via
    # asr and vad) would add ~50 ms to every `snakemake --dry-run`, where no check runs.
    from ..speech import asr, spoken
    from ..speech.vad import silero

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
