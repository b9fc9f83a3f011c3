"""Find the movies of a library: every video file under the input folder.

A movie is named by its path under the input folder, without extension:
`in/My Movie (2010).mkv` is `My Movie (2010)`, `in/Show/Season 1/Pilot.mkv` is
`Show/Season 1/Pilot`, and its results go to the same path under out/. So two files
of the same name in different folders (the `Featurettes/Behind the Scenes.mkv` of two
movies, the `VIDEO_TS/VTS_01_1.VOB` of two DVDs) are two movies, each with an output
path a user can type. Names are used as they are (spaces, quotes, unicode): nothing
ever passes them through a shell.

A file name too long to leave room for the sidecar's `.<lang>.<format>` (a 250-byte
name; file systems allow 255) is cut, at a character boundary, to SIDECAR_ROOM bytes
less than the limit: its folder under out/ and its sidecar both carry the cut name.

An entry that cannot be a movie (a name that is not valid UTF-8, two files that would
share one output folder, a folder name longer than the output's file system allows)
is *refused*: it gets a typeable name and a one-line reason, and only that movie fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Bytes a movie's name leaves free for its sidecar's suffix (".und.srt" is 8).
SIDECAR_ROOM = 16


@dataclass(frozen=True)
class LibraryOptions:
    """The library-wide keys at the top of the config."""

    existing: str  # skip: leave a movie that has a full subtitle in the language; add: do it
    keep_work_files: bool  # keep out/<movie>/audio/audio.wav after the stages that read it

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> LibraryOptions:
        from ..core.settings import options

        return options(cls, cfg, "top level")


class LibraryError(ValueError):
    """The library as a whole cannot be read (its folder is unreadable)."""


@dataclass
class Library:
    movies: dict[str, Path] = field(default_factory=dict)  # movie name -> input file
    refused: dict[str, str] = field(default_factory=dict)  # typeable name -> one line


def discover(
    input_dir: str | os.PathLike[str],
    extensions: list[str],
    output_dir: str | os.PathLike[str] | None = None,
) -> Library:
    """All video files under input_dir (recursively), named by their relative path.

    The output folder is skipped when it lies inside the input folder, so a second
    run never takes its own final.mkv files for new movies.
    """
    root = Path(input_dir)
    lib = Library()
    if not root.exists():
        return lib
    if not os.access(root, os.R_OK | os.X_OK):
        raise LibraryError(
            f"{root}: the input folder is not readable; fix its permissions (chmod a+rx)"
        )
    skip = os.path.realpath(output_dir) if output_dir is not None else None
    wanted = {e.lower().lstrip(".") for e in extensions}
    name_max = name_limit(output_dir if output_dir is not None else root)
    found: dict[str, list[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(root, onerror=_raise_unreadable):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and os.path.realpath(os.path.join(dirpath, d)) != skip
        )
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            stem, dot, ext = name.rpartition(".")
            if not dot or ext.lower() not in wanted or not stem:
                continue
            path = Path(dirpath) / name
            rel = (Path(dirpath).relative_to(root) / stem).as_posix()
            found.setdefault(movie_name(rel, name_max), []).append(path)
    for movie, paths in found.items():
        reason = _refusal(movie, paths, name_max)
        if reason:
            lib.refused[movie] = reason
        else:
            lib.movies[movie] = paths[0]
    return lib


def typeable(name: str) -> str:
    """The name as text a user can type: bytes that are not UTF-8 (a Latin-1 name from
    an old system arrives as surrogates) become `\\xe9`."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def movie_name(rel: str, name_max: int) -> str:
    """The movie's name from its relative path: typeable, its file name cut to leave
    SIDECAR_ROOM bytes free under the output file system's name limit."""
    folder, slash, base = typeable(rel).rpartition("/")
    return folder + slash + cut(base, name_max - SIDECAR_ROOM)


def cut(text: str, limit: int) -> str:
    """`text`, cut (at a character boundary) to at most `limit` UTF-8 bytes."""
    raw = text.encode()
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore").rstrip()


def _refusal(movie: str, paths: list[Path], name_max: int) -> str | None:
    shown = typeable(str(paths[0]))
    if len(paths) > 1:
        others = ", ".join(typeable(str(p)) for p in paths[1:])
        return (
            f"{shown}: {others} would share its output folder {movie!r}; "
            "rename one of them (or move it to its own folder)"
        )
    if typeable(str(paths[0])) != str(paths[0]):
        return (
            f"{shown}: the file name is not valid UTF-8 (an old system's encoding, "
            "such as Latin-1); rename it to UTF-8, for example with "
            "`convmv -f latin1 -t utf8 --notest`"
        )
    if any(len(p.encode()) > name_max for p in movie.split("/")):
        return (
            f"{shown}: a folder name is longer than the {name_max} bytes the output "
            "folder's file system allows; shorten it"
        )
    return None


def _raise_unreadable(err: OSError) -> None:
    raise LibraryError(
        f"{err.filename}: cannot read this folder of the library ({err.strerror}); "
        "fix its permissions"
    )


def name_limit(path: str | os.PathLike[str]) -> int:
    """The longest file name (bytes) the file system at `path`, or above it, allows."""
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return int(os.pathconf(p, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


IDENTITY_FILE = ".input.json"


def identity(path: str | os.PathLike[str]) -> dict[str, int]:
    """What tells a replaced input from the file a movie was made from.

    A copy that keeps the old modification time (`cp -p`, `rsync -a`) fools
    Snakemake's mtime check, but not this: a new file has a new inode (rsync, a move)
    or, written in place, a new change time (ctime cannot be set back), and usually
    another size. One stat call: free on a 20 GB file, unlike a content hash.
    """
    st = os.stat(path)
    return {"size": st.st_size, "inode": st.st_ino, "ctime_ns": st.st_ctime_ns}


def record_identity(movie_dir: str | os.PathLike[str], current: dict[str, int]) -> str | None:
    """Remember the input's identity in out/<movie>/.input.json; when it differs from
    the last one recorded, keep (and return) a note saying what changed."""
    from ..core.jsonio import read_json, write_json_atomic
    from .status import now_iso

    path = Path(movie_dir) / IDENTITY_FILE
    last = read_json(path) or {}
    if last.get("identity") == current:
        return None
    note = None
    if last.get("identity"):
        changed = [k for k, v in current.items() if last["identity"].get(k) != v]
        note = (
            f"the input was replaced ({', '.join(changed)} changed, seen {now_iso()}): "
            "the movie is redone from demux"
        )
    write_json_atomic(path, {"identity": current, "replaced": note or last.get("replaced")})
    return note


_TITLE_YEAR = re.compile(r"^(?P<title>.*?)[\s._]*[\(\[]?(?P<year>(?:19|20)\d{2})[\)\]]?\s*$")


def title_and_year(movie: str) -> tuple[str, int | None]:
    """'Movie Title (2010)' -> ('Movie Title', 2010); names without a year keep it None.
    A movie in a folder is titled by its file name (`Show/S01/Pilot` -> 'Pilot')."""
    movie = movie.rsplit("/", 1)[-1]
    m = _TITLE_YEAR.match(movie)
    if m and m.group("title").strip():
        return m.group("title").replace(".", " ").strip(), int(m.group("year"))
    return movie, None
