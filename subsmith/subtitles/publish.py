"""Sidecar subtitles named by the language their words are in.

With `language: auto` that language is known only once asr has run, after Snakemake
built its graph, so the declared outputs of srt_generation carry no language
(subtitles/<movie>.srt) and mux, which reads the transcript's language, publishes
copies as <movie>.<language>.<fmt> next to final.mkv, where players look for them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .. import languages


def publish(
    sidecars: dict[str, str], movie_dir: str | os.PathLike[str], language: str
) -> list[Path]:
    """Copy each {format: path} to <movie_dir>/<movie>.<language>.<format>, atomically."""
    lang = languages.to_639_1(language) or "und"
    out = []
    for fmt, path in sidecars.items():
        src = Path(path)
        movie = src.name[: -len(f".{fmt}")]
        target = Path(movie_dir) / f"{movie}.{lang}.{fmt}"
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        out.append(target)
    return out
