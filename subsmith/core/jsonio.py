"""Atomic JSON files: a reader never sees half a file, even after kill -9.

A writer killed between creating its temp file and renaming it leaves the temp file
behind (`.tmp-<pid>@<host>-<random>.json`, beside the target). The next run sweeps
them (sweep_stale_temps, from the onstart hook): a temp file is stale when the process
named in it is gone from this host, or when it is older than STALE_SECONDS (a write
takes milliseconds; that also covers a writer on another host, a SLURM node, and the
names of older versions, `.tmp-<random>.json`). A live writer's file is never taken.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from .processes import alive

TMP_PREFIX = ".tmp-"
STALE_SECONDS = 60.0
_HOST = socket.gethostname()
# Our own temp names only: .tmp-<pid>@<host>-<random>.json, or (older) .tmp-<random>.json
_OWN_TMP = re.compile(r"^\.tmp-(?:(\d+)@(.*)-)?[a-z0-9_]+\.json$")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """Write to a temp file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f"{TMP_PREFIX}{os.getpid()}@{_HOST}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".json", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; others should read results
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_json(path: str | os.PathLike[str]) -> Any | None:
    """The file's data, or None when it is missing or unreadable (never raises)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _stale(path: Path, match: re.Match[str], now: float) -> bool:
    pid, host = match.groups()
    if pid and host == _HOST and not alive(int(pid)):
        return True
    try:
        return path.stat().st_mtime < now - STALE_SECONDS
    except OSError:
        return False  # gone meanwhile: its writer renamed it


def sweep_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temp files killed writers left under `folder`; returns them."""
    now = time.time()
    removed = []
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            match = _OWN_TMP.match(name) if name.startswith(TMP_PREFIX) else None
            path = Path(dirpath) / name
            if match and _stale(path, match, now):
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass  # gone already, or not ours to remove: never fail a run for it
    return removed
