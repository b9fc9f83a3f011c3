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

import os
import shutil
from pathlib import Path

from .. import languages
from ..jsonio import read_json
from .formats import WRITERS


def published_name(
    src: str | os.PathLike[str], movie_dir: str | os.PathLike[str], language: str
) -> Path:
    """subtitles/<movie>.<fmt> -> <movie_dir>/<movie>.<language>.<fmt>."""
    src = Path(src)
    lang = languages.to_639_1(language) or "und"
    return Path(movie_dir) / f"{src.stem}.{lang}{src.suffix}"


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
