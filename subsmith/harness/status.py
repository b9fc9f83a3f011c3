"""Per-job status files: out/<movie>/.status/<stage>.json.

Only the job knows that it skipped and why, so each job writes its own file
(running -> success | skipped | failed, with duration, notes and error). The
manifest is rendered from these files. The files are declared under `log:` so
Snakemake keeps them when a job fails.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.jsonio import read_json, write_json_atomic

RUNNING, SUCCESS, SKIPPED, FAILED = "running", "success", "skipped", "failed"
DONE = (SUCCESS, SKIPPED)
INTERRUPTED = "interrupted: the run stopped while this stage was running"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def status_dir(movie_dir: str | os.PathLike[str]) -> Path:
    return Path(movie_dir) / ".status"


def status_path(movie_dir: str | os.PathLike[str], stage: str) -> Path:
    return status_dir(movie_dir) / f"{stage}.json"


def movie_dir_of(status_file: str | os.PathLike[str]) -> Path:
    """out/<movie>/.status/<stage>.json -> out/<movie>."""
    return Path(status_file).parent.parent


def read_status(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    data = read_json(path)
    return data if isinstance(data, dict) else None


def start(
    path: str | os.PathLike[str],
    stage: str,
    *,
    inputs: list[str],
    timeout: float | None,
    outputs: list[str] | None = None,
) -> dict[str, Any]:
    """Record that the stage starts.

    Snakemake deletes a job's log files (this one included) before the job runs, so
    earlier attempts are kept by the manifest, not here.

    `reads` and `writes` are the job's files inside the movie's output folder, relative
    to it: which stage made which file is how the manifest knows what a stage's result
    depends on (the rules' own inputs and outputs, not a second list of dependencies).
    """
    data = {
        "stage": stage,
        "status": RUNNING,
        "started_at": now_iso(),
        "finished_at": None,
        "duration": None,
        "progress": 0.0,
        "notes": "",
        "error": None,
        "timeout": timeout,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "inputs": inputs,
        "reads": movie_files(path, inputs),
        "writes": movie_files(path, outputs or []),
    }
    write_json_atomic(path, data)
    return data


def movie_files(status_file: str | os.PathLike[str], files: list[str]) -> list[str]:
    """The files of `files` inside the movie's output folder, relative to it (the movie
    itself and its .nfo sit in the library, outside it). The paths are the job's own,
    relative to the same working directory as its status file."""
    root = os.path.normpath(os.path.abspath(movie_dir_of(status_file)))
    found = []
    for f in files:
        rel = os.path.relpath(os.path.normpath(os.path.abspath(f)), root)
        if rel != os.curdir and rel != os.pardir and not rel.startswith(os.pardir + os.sep):
            found.append(rel.replace(os.sep, "/"))
    return found


def update(path: str | os.PathLike[str], **fields: Any) -> dict[str, Any]:
    data = read_status(path) or {}
    data.update(fields)
    write_json_atomic(path, data)
    return data


def finish(
    path: str | os.PathLike[str],
    status: str,
    *,
    duration: float | None,
    notes: str = "",
    error: str | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "status": status,
        "finished_at": now_iso(),
        "duration": None if duration is None else round(duration, 3),
        "notes": notes,
        "error": error,
    }
    if status in DONE:
        fields["progress"] = 1.0
    return update(path, **fields)


def fail_if_running(path: str | os.PathLike[str], error: str) -> bool:
    """Close a status left `running` by a job that died without saying so.

    Used by the main process only once the job is known to be gone (its error
    event arrived, or a new run starts), so the job is no longer a writer.
    """
    data = read_status(path)
    if not data or data.get("status") != RUNNING:
        return False
    duration = None
    try:
        started = datetime.fromisoformat(data["started_at"])
        duration = (datetime.now(UTC) - started).total_seconds()
    except (KeyError, TypeError, ValueError):
        pass
    finish(path, FAILED, duration=duration, notes=data.get("notes", ""), error=error)
    return True
