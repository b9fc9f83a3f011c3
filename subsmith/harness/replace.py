"""publish.replace_original: the movie itself replaced by the muxed file (off by default).

Only on explicit request, only a Matroska original (an .mp4 holding Matroska would be a
lie), and only so that a crash at any moment leaves the original or the verified new
file under the movie's name, never neither and never a partial file:

1. the ledger (out/<movie>/.published.json, "replacing") names the temp file first;
2. the muxed file is written to that temp name in the movie's own folder (same file
   system, so the rename below is atomic), created exclusively, then fsynced;
3. every original track's packets are verified equal in it (ffmpeg's framemd5 of each
   video, audio and subtitle stream, original against new: data, timestamps, sizes);
4. it takes the original's permissions, owner (where allowed) and atime/mtime, and its
   (size, inode) are recorded as the expected new file;
5. os.replace() puts it under the movie's name; the folder is fsynced; the ledger
   records it under "replaced".

A run killed before 5 leaves the temp file; the next run's start removes it (`sweep`,
once its writer is gone). Killed after 5, the movie is the new file and the ledger
still says "replacing": `sweep` sees the movie is the recorded new file and records
it replaced. A replaced movie is subsmith's: its identity maps back to the original's
(`identity`), so demux's params do not see a replaced input, and publishing it again
does not add a second track.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import socket
import subprocess
from pathlib import Path
from typing import Any

from ..core.errors import StageError
from ..core.jsonio import read_json, write_json_atomic
from ..core.processes import alive
from ..media.ffrun import StderrDrain
from ..media.probe import ffmpeg_path, probe
from . import library

LEDGER = ".published.json"  # the publish ledger (subsmith/subtitles/publish.py) holds it too
TMP_PREFIX = ".subsmith-"
_HOST = socket.gethostname()
_TRACKS = ("video", "audio", "subtitle")


def _read(movie_dir: Path) -> dict[str, Any]:
    data = read_json(movie_dir / LEDGER)
    return data if isinstance(data, dict) else {}


def _update(movie_dir: Path, **keys: Any) -> None:
    write_json_atomic(movie_dir / LEDGER, {**_read(movie_dir), **keys})


def _stamp(path: str | os.PathLike[str]) -> dict[str, int]:
    """What names one file for good: its size and inode (a rename changes its ctime)."""
    st = os.stat(path)
    return {"size": st.st_size, "inode": st.st_ino}


def _ours(movie_dir: Path, path: Path) -> dict[str, Any] | None:
    """The ledger's record of `path` when the file there is the one subsmith made."""
    data = _read(movie_dir)
    try:
        now = _stamp(path)
    except OSError:
        return None
    key = os.path.abspath(path)
    pending = data.get("replacing") or {}
    for rec in (
        (data.get("replaced") or {}).get(key),
        pending if pending.get("movie") == key else None,
    ):
        if isinstance(rec, dict) and rec.get("new") == now:
            return rec
    return None


def identity(movie_dir: str | os.PathLike[str], path: str | os.PathLike[str]) -> dict[str, int]:
    """library.identity(path), but the original's for a movie subsmith replaced: for
    demux's params and the manifest, the replaced movie is the same input."""
    rec = _ours(Path(movie_dir), Path(path))
    return dict(rec["original"]) if rec else library.identity(path)


def sweep(movie_dir: str | os.PathLike[str]) -> list[Path]:
    """What a killed replacement left: remove its temp file (once its writer is gone)
    and, when the rename had happened, record the movie replaced. Returns what it removed."""
    movie_dir = Path(movie_dir)
    rec = _read(movie_dir).get("replacing")
    if not isinstance(rec, dict) or (rec.get("host") == _HOST and alive(int(rec.get("pid") or 0))):
        return []
    removed = []
    tmp = Path(rec.get("tmp") or "")
    if tmp.name.startswith(TMP_PREFIX) and tmp.is_file():
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            return []  # try again next time
    replaced = dict(_read(movie_dir).get("replaced") or {})
    if _ours(movie_dir, Path(rec["movie"])):
        replaced[rec["movie"]] = {k: rec[k] for k in ("original", "new")}
    _update(movie_dir, replacing=None, replaced=replaced)
    return removed


def track_hashes(path: str | os.PathLike[str], indexes: list[int]) -> str:
    """sha256 of ffmpeg's framemd5 of the given streams, mapped in this order (each
    packet's stream position, dts, pts, duration, size and MD5; the codec headers)."""
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", ffmpeg_path(path)]
    for i in indexes:
        cmd += ["-map", f"0:{i}"]
    cmd += ["-c", "copy", "-f", "framemd5", "-"]
    h = hashlib.sha256()
    with subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        # stderr drained beside stdout: a damaged original's decode errors would fill
        # its pipe while we wait for packets (subsmith/media/ffrun.py says why)
        drain = StderrDrain(io.TextIOWrapper(proc.stderr, errors="replace"))
        drain.start()
        for line in proc.stdout:
            if not line.startswith(b"#software"):  # the version that wrote it
                h.update(line)
        proc.wait()
        drain.join()
    if proc.returncode != 0:
        reason = drain.last_line or f"exit code {proc.returncode}"
        raise StageError(f"{path}: cannot read its packets to verify them ({reason})")
    return h.hexdigest()


def verify(original: Path, new: Path) -> None:
    """Every video, audio and subtitle stream of `original` is in `new`, packet for
    packet, in the same order (mux keeps them first, the new track after them)."""
    tracks = [s["index"] for s in probe(original)["streams"] if s.get("codec_type") in _TRACKS]
    made = [s for s in probe(new)["streams"] if s.get("codec_type") in _TRACKS]
    if len(made) < len(tracks) or track_hashes(original, tracks) != track_hashes(
        new, [s["index"] for s in made[: len(tracks)]]
    ):
        raise StageError(
            f"{new}: its streams differ from {original}'s after muxing; the original "
            "is left as it is (a damaged file? check it with ffprobe)"
        )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_original(
    movie: str | os.PathLike[str],
    srt: str | os.PathLike[str] | None,
    movie_dir: str | os.PathLike[str],
    *,
    language: str,
    title: str,
    default: bool,
    forced: bool,
    log: logging.Logger,
) -> dict[str, Any]:
    """The movie replaced by itself plus the subtitle track, or why not: {"path",
    "replaced": bool, "note"}. A folder that cannot be written is a note; a mux or a
    verification that fails is a StageError (the original is left as it is)."""
    from ..media import mux

    movie, movie_dir = Path(movie), Path(movie_dir)
    out = {"path": str(movie), "replaced": False, "note": ""}
    if _ours(movie_dir, movie):
        out["note"] = f"{movie.name} is already subsmith's muxed file: left as it is"
        return out
    if srt is None:
        out["note"] = "no speech: nothing to add to the movie"
        return out
    if movie.suffix.lower() != ".mkv":
        out["note"] = (
            f"{movie.name} not replaced: only a Matroska (.mkv) movie is replaced in place"
        )
        return out
    tmp = movie.with_name(f"{TMP_PREFIX}{os.getpid()}@{_HOST}-{secrets.token_hex(4)}.mkv")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        out["note"] = (
            f"{movie.name} not replaced: cannot write into {movie.parent} "
            f"({exc.strerror or exc}); the subtitle is beside it or in {movie_dir}"
        )
        return out
    st = os.stat(movie)  # its times before anything reads it (reading moves atime)
    pending = {
        "movie": os.path.abspath(movie),
        "tmp": str(tmp),
        "pid": os.getpid(),
        "host": _HOST,
        "original": library.identity(movie),
    }
    try:
        _update(movie_dir, replacing=pending)
        mux.mux(
            movie, srt, tmp, language=language, title=title, default=default, forced=forced, log=log
        )
        _fsync(tmp)
        verify(movie, tmp)
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            pass  # not root: the file is the user's own anyway
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        pending["new"] = _stamp(tmp)
        _update(movie_dir, replacing=pending)
        os.replace(tmp, movie)
        _fsync(movie.parent)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        if "new" not in pending or not _ours(movie_dir, movie):
            _update(movie_dir, replacing=None)
        raise
    replaced = dict(_read(movie_dir).get("replaced") or {})
    replaced[pending["movie"]] = {k: pending[k] for k in ("original", "new")}
    _update(movie_dir, replacing=None, replaced=replaced)
    out.update(replaced=True, note=f"{movie.name} replaced by the muxed file (verified)")
    return out
