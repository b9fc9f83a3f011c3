"""Find the movies of a library: every video file under the input folder.

A movie is named by its file name without extension; that name becomes its folder
under out/. Names are used as they are (spaces, quotes, unicode): nothing ever
passes them through a shell.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


class LibraryError(ValueError):
    """The library cannot be read as a set of uniquely named movies."""


def discover(input_dir: str | os.PathLike[str], extensions: list[str]) -> dict[str, Path]:
    """Map movie name -> input file, for all video files under input_dir (recursively)."""
    root = Path(input_dir)
    if not root.exists():
        return {}
    if not os.access(root, os.R_OK | os.X_OK):
        raise LibraryError(
            f"{root}: the input folder is not readable; fix its permissions (chmod a+rx)"
        )
    wanted = {e.lower().lstrip(".") for e in extensions}
    movies: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root, onerror=_raise_unreadable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            stem, dot, ext = name.rpartition(".")
            if not dot or ext.lower() not in wanted or not stem:
                continue
            path = Path(dirpath) / name
            if stem in movies:
                raise LibraryError(
                    f"two inputs are both named {stem!r}: {movies[stem]} and {path}; "
                    "rename one of them"
                )
            movies[stem] = path
    return movies


def _raise_unreadable(err: OSError) -> None:
    raise LibraryError(
        f"{err.filename}: cannot read this folder of the library ({err.strerror}); "
        "fix its permissions"
    )


_TITLE_YEAR = re.compile(r"^(?P<title>.*?)[\s._]*[\(\[]?(?P<year>(?:19|20)\d{2})[\)\]]?\s*$")


def title_and_year(movie: str) -> tuple[str, int | None]:
    """'Movie Title (2010)' -> ('Movie Title', 2010); names without a year keep it None."""
    m = _TITLE_YEAR.match(movie)
    if m and m.group("title").strip():
        return m.group("title").replace(".", " ").strip(), int(m.group("year"))
    return movie, None
