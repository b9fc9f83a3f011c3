"""Sidecar subtitles named by the language their words are in.

With `language: auto` that language is known only once asr has run, after Snakemake
built its graph, so the declared outputs of srt_generation carry no language
(subtitles/<movie>.srt) and mux, which reads the transcript's language, publishes
copies as <movie>.<language>.<fmt> next to final.mkv, where players look for them.

Those copies are no target of the workflow (their names are not known when it plans),
so a deleted one does not come back by itself: `missing` finds them for
`subsmith status`, which says how to publish them again.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import languages
from ..core.jsonio import read_json, write_json_atomic
from ..core.settings import options
from .formats import WRITERS

# The SDH subtitle's "format": the media servers' hearing-impaired suffix before .srt
# (Jellyfin, Plex, Kodi and Emby read <movie>.en.sdh.srt as English, hearing impaired).
SDH = "sdh.srt"


def sidecars_of(inputs: Any) -> dict[str, str]:
    """{format: path} of a mux/publish rule's inputs: each `sub_<fmt>`, and the SDH
    subtitle (input `sdh`) as format SDH."""
    subs = {k[4:]: v for k, v in inputs.items() if k.startswith("sub_")}
    if inputs.get("sdh"):
        subs[SDH] = inputs.get("sdh")
    return subs


def published_name(
    src: str | os.PathLike[str], movie_dir: str | os.PathLike[str], language: str
) -> Path:
    """subtitles/<movie>.<fmt> -> <movie_dir>/<movie>.<language>.<fmt>
    (subtitles/<movie>.sdh.srt -> <movie>.<language>.sdh.srt)."""
    src = Path(src)
    lang = languages.to_639_1(language) or "und"
    stem, fmt = src.stem, src.suffix[1:]
    if src.name.endswith("." + SDH):
        stem, fmt = src.name[: -len(SDH) - 1], SDH
    return Path(movie_dir) / f"{stem}.{lang}.{fmt}"


def publish(
    sidecars: dict[str, str], movie_dir: str | os.PathLike[str], language: str
) -> list[Path]:
    """Copy each {format: path} to <movie_dir>/<movie>.<language>.<format>, atomically."""
    out = []
    for path in sidecars.values():
        target = published_name(path, movie_dir, language)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
        out.append(target)
    return out


def missing(movie_dir: str | os.PathLike[str]) -> list[Path]:
    """The language-named sidecars a finished movie should have beside final.mkv and has
    not: each non-empty subtitles/<movie>.<fmt> (an empty one means no speech, and mux
    publishes nothing) without its <movie>.<language>.<fmt>. Empty where the language
    was set (srt_generation writes the named files itself, as targets)."""
    d = Path(movie_dir)
    transcript = read_json(d / "asr" / "transcript.json")
    lang = transcript.get("language") if isinstance(transcript, dict) else None
    if not lang or not (d / "final.mkv").is_file() or not (d / "subtitles").is_dir():
        return []
    gone = []
    for src in sorted((d / "subtitles").iterdir()):
        if src.suffix[1:] in WRITERS and src.is_file() and src.stat().st_size:
            target = published_name(src, d, lang)
            if not target.exists():
                gone.append(target)
    return gone


# --- the sidecar beside the movie (config `publish:`) -------------------------------------
#
# A media server (Jellyfin, Plex, Kodi, Emby) reads `<movie stem>.<lang>.srt` beside the
# movie file. subsmith writes it there, never over a file it did not write: what it wrote
# is in out/<movie>/.published.json (path, size, sha256), the record that lets a later
# run update its own sidecar and leave a user's file of the same name alone.

LEDGER = ".published.json"  # every sidecar subsmith wrote for this movie (kept across runs)
REPORT = "published.json"  # this run's outcome: where the sidecars are, and any note


@dataclass(frozen=True)
class PublishOptions:
    """The `publish:` config section: where a library run puts its results."""

    beside_movie: bool  # <movie stem>.<lang>.<fmt> beside the input file
    mkv: bool  # a library run also makes out/<movie>/final.mkv (a full copy of the movie)
    replace_original: (
        bool  # the movie itself replaced by the muxed file (subsmith/harness/replace.py)
    )

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> PublishOptions:
        return options(cls, cfg, "publish")


def ledger(movie_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """{absolute path: {size, sha256}} of the sidecars subsmith wrote for this movie."""
    data = read_json(Path(movie_dir) / LEDGER)
    found = data.get("sidecars") if isinstance(data, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_ours(path: str | os.PathLike[str], ours: Mapping[str, Any]) -> bool:
    """Whether the file at `path` is one subsmith wrote and nobody changed since."""
    rec = ours.get(os.path.abspath(path))
    if not isinstance(rec, dict):
        return False
    try:
        return os.path.getsize(path) == rec.get("size") and sha256(path) == rec.get("sha256")
    except OSError:
        return False


def beside_name(movie: str | os.PathLike[str], language: str, fmt: str) -> Path:
    """in/Film (2010)/Film (2010).mkv -> in/Film (2010)/Film (2010).en.srt (fmt SDH:
    Film (2010).en.sdh.srt)"""
    movie = Path(movie)
    return movie.with_name(f"{movie.stem}.{languages.to_639_1(language) or 'und'}.{fmt}")


def _save_ledger(movie_dir: Path, ours: dict[str, Any]) -> None:
    data = read_json(
        movie_dir / LEDGER
    )  # it also records a replaced movie (subsmith/harness/replace.py)
    write_json_atomic(
        movie_dir / LEDGER, {**(data if isinstance(data, dict) else {}), "sidecars": ours}
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()
# link() errors that mean "this file system has no hard links", not "you may not".
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK}


def _place(src: Path, target: Path, replace: bool) -> None:
    """Copy `src` to `target` atomically: a temp file in the target's folder (a random
    name of ours, created exclusively, so it cannot be a user's file), then a rename. A
    new name is taken with link(), which fails if a user's file appeared meanwhile."""
    fd, tmp = tempfile.mkstemp(prefix=".subsmith-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600: the media server must read it
        if replace:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                if os.path.lexists(target):  # a file system without hard links (FAT, some shares)
                    raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
                os.replace(tmp, target)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def publish_beside(
    sidecars: Mapping[str, str | os.PathLike[str]],
    movie: str | os.PathLike[str],
    movie_dir: str | os.PathLike[str],
    language: str,
) -> dict[str, Any]:
    """Put each non-empty {format: sidecar} beside `movie` as <stem>.<language>.<format>.

    A file of that name that subsmith did not write is left as it is, and so is a folder
    that cannot be written: the sidecar stays in out/<movie>/ and the report says so.
    Returns the report: {"published": [{format, path, size, sha256}], "notes": [...]}."""
    movie, movie_dir = Path(movie), Path(movie_dir)
    ours = ledger(movie_dir)
    report: dict[str, Any] = {"language": language, "published": [], "notes": []}
    for fmt, src in sidecars.items():
        src = Path(src)
        if not src.stat().st_size:
            continue  # no speech: nothing to show, nothing to publish
        target = beside_name(movie, language, fmt)
        key = os.path.abspath(target)
        mine = is_ours(target, ours)
        if target.exists() and not mine:
            report["notes"].append(
                f"{target} is not subsmith's (a file of yours): left as it is; "
                f"subsmith's subtitle is {src}"
            )
            continue
        digest, size = sha256(src), src.stat().st_size
        # Recorded before the rename: a run killed in between still knows the file. (An
        # out/ that cannot be written fails the stage, as for any of its outputs.)
        _save_ledger(movie_dir, {**ours, key: {"size": size, "sha256": digest}})
        try:
            _place(src, target, replace=mine)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                report["notes"].append(
                    f"{target} appeared while subsmith wrote it: left as it is; "
                    f"subsmith's subtitle is {src}"
                )
            else:
                report["notes"].append(
                    f"cannot write into {target.parent} ({exc.strerror or exc}): "
                    f"the subtitle stays in {src}"
                )
            _save_ledger(movie_dir, ours)
            continue
        ours[key] = {"size": size, "sha256": digest}
        report["published"].append(
            {"format": fmt, "path": str(target), "size": size, "sha256": digest, "abspath": key}
        )
    return report


def gone_from_beside(movie_dir: str | os.PathLike[str]) -> list[Path]:
    """The sidecars the last run put beside the movie that are no longer there (someone
    deleted them): no Snakemake target, so no run brings them back by itself."""
    report = read_json(Path(movie_dir) / REPORT)
    found = report.get("published") if isinstance(report, dict) else None
    return [
        Path(p["path"])
        for p in found or []
        if isinstance(p, dict) and p.get("abspath") and not os.path.exists(p["abspath"])
    ]


def publish_movie(
    sidecars: Mapping[str, str | os.PathLike[str]],
    movie: str | os.PathLike[str],
    movie_dir: str | os.PathLike[str],
    language: str,
    *,
    beside_movie: bool,
    name_in_out: bool,
) -> dict[str, Any]:
    """The mux stage's publishing, for published.json: the non-empty sidecars beside the
    movie (when `beside_movie`), and where each one that is not there can be found in
    out/<movie>/. `name_in_out` (language: auto): those get their language-named copy
    there, as mux makes beside final.mkv."""
    movie_dir = Path(movie_dir)
    full = {f: p for f, p in sidecars.items() if Path(p).stat().st_size}
    if beside_movie:
        report = publish_beside(full, movie, movie_dir, language)
    else:
        report = {"language": language, "published": [], "notes": []}
    done = {p["format"] for p in report["published"]}
    left = {f: p for f, p in full.items() if f not in done}
    in_out = publish(left, movie_dir, language) if name_in_out else list(left.values())
    report["in_out"] = [str(p) for p in in_out]
    report["no_speech"] = not full
    return report


def summary(report: Mapping[str, Any]) -> str:
    """One line for the manifest's notes."""
    parts = [f"beside the movie: {Path(p['path']).name}" for p in report.get("published", [])]
    if report.get("in_out"):
        parts.append("in out/: " + ", ".join(Path(p).name for p in report["in_out"]))
    if report.get("no_speech"):
        parts.append("no speech found: nothing to publish")
    return "; ".join(parts + list(report.get("notes") or []))
