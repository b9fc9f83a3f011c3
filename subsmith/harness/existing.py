"""Movies that already have a subtitle in the target language (config `existing`).

With `existing: skip` (the default) a movie that already has a *full* subtitle in the
language subsmith would write is left alone: no demux, no transcription, its manifest
says `skipped` and why. What counts:

- an embedded subtitle stream tagged with the language (ffprobe's `language` tag), not
  marked forced (the `forced` disposition, or "forced" in its title: a forced track
  carries only the foreign-language lines);
- a sidecar beside the movie named the way Jellyfin, Plex, Kodi and Emby read it:
  `<movie stem>.<language>[.<flags>].<srt|ass|ssa|vtt|sub|sup>`, the language as
  ISO 639-1 or 639-2 (`en`, `eng`, `en-US`), flags such as `sdh`, `cc`, `hi`,
  `default`. A `forced` or `foreign` flag makes it forced-only: it does not count.
  `<movie stem>.srt` (no language) does not count either: its language is unknown.

A sidecar subsmith wrote itself (its record in out/<movie>/.published.json, by size and
sha256) is not the user's subtitle, and a movie subsmith has started on (out/<movie>/
has stage status files) stays subsmith's: it is not checked again.

With `language: auto` the target language is the language tag of the audio track demux
would choose (tracks.choose, without the metadata's tie-break); a movie whose chosen
track has no tag is never skipped, since its language is known only after asr.

With `existing: check` the same movies are not transcribed either: their speech is
found (demux and silero_vad, no asr) and the subtitle they have is compared with it
(subsmith/harness/existing_check.py: out/<movie>/existing_check.json), never changed; the
manifest says whether it fits. Such a movie's stage status files are the check's: its
record, kept while the decision holds, keeps it from being taken for subsmith's own.

The cost: one directory listing and, unless a sidecar decided it, one ffprobe, once: the
decision is recorded with the input's identity and the sidecars seen (a skipped movie's
in out/<movie>/.existing.json, the others' in out/.existing-cache.json) and reused while
both are unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import languages
from ..core.jsonio import read_json, write_json_atomic
from . import library

RECORD = ".existing.json"  # out/<movie>/: a skipped movie's decision (its manifest reads it)
# out/: the decisions about the movies not started yet and not skipped, so that a run
# does not probe them again (ffprobe ~0.1 s a file: 100 s for a 1,000-movie library).
CACHE = ".existing-cache.json"
MODES = ("skip", "add", "check")
SUBTITLE_EXTENSIONS = frozenset({"srt", "ass", "ssa", "vtt", "sub", "sup"})
FORCED_FLAGS = frozenset({"forced", "foreign"})
_FORCED_TITLE = re.compile(r"\bforced\b", re.I)


@dataclass(frozen=True)
class Decision:
    skip: bool
    reason: str  # why it is skipped ("" when it is not)
    language: str | None  # the language looked for (None: unknown, never skipped)
    # The subtitle found: {"sidecar": its path} or {"stream": index, "codec": name}
    # (existing: check reads it).
    subtitle: dict[str, Any] | None = None


def sidecars(movie: Path) -> list[str]:
    """Names of the subtitle files beside `movie` that start with its stem."""
    try:
        names = os.listdir(movie.parent)
    except OSError:
        return []
    prefix = movie.stem + "."
    return sorted(
        n
        for n in names
        if n.startswith(prefix) and n.rpartition(".")[2].lower() in SUBTITLE_EXTENSIONS
    )


def sidecar_language(movie_stem: str, name: str) -> tuple[str | None, bool]:
    """(its language as 639-1, whether it is forced-only) from a sidecar's name:
    'Film.en.sdh.srt' -> ('en', False), 'Film.eng.forced.srt' -> ('en', True),
    'Film.srt' -> (None, False)."""
    middle = name[len(movie_stem) + 1 :].rpartition(".")[0]
    lang = None
    forced = False
    for token in (t.strip().lower() for t in middle.split(".") if t.strip()):
        if token in FORCED_FLAGS:
            forced = True
        elif lang is None and _is_language(token):
            lang = languages.to_639_1(token)
    return lang, forced


def _is_language(token: str) -> bool:
    return bool(re.fullmatch(r"[a-z]{2,3}([-_][a-z0-9]{2,4})?", token)) and (
        languages.name(token) != "Unknown language"
    )


def embedded(info: Mapping[str, Any], language: str) -> list[str]:
    """The full (not forced) subtitle streams in `language`, described for a reader."""
    return [
        f"stream #{s.get('index')} ({(s.get('tags') or {}).get('language')}, "
        f"{s.get('codec_name') or '?'})"
        for s in embedded_streams(info, language)
    ]


def embedded_streams(info: Mapping[str, Any], language: str) -> list[Mapping[str, Any]]:
    """The full (not forced) subtitle streams in `language`, as ffprobe describes them."""
    found = []
    for s in info.get("streams") or []:
        if s.get("codec_type") != "subtitle":
            continue
        tag = (s.get("tags") or {}).get("language")
        title = (s.get("tags") or {}).get("title") or ""
        forced = bool((s.get("disposition") or {}).get("forced")) or bool(
            _FORCED_TITLE.search(title)
        )
        if not forced and languages.same_language(tag, language):
            found.append(s)
    return found


def _audio_language(info: Mapping[str, Any]) -> str | None:
    """The language tag of the audio track demux would choose, None when untagged."""
    from ..core.errors import StageError
    from ..media import probe as media
    from ..media import tracks

    try:
        return tracks.language_of(tracks.choose(media.audio_streams(dict(info))).stream)
    except StageError:
        return None


def decide(movie: Path, language: str | None, ours: Mapping[str, Any] | None = None) -> Decision:
    """Whether `movie` already has a full subtitle in `language` (None: language: auto).

    `ours`: {path: {size, sha256}} of the sidecars subsmith published itself."""
    from ..core.errors import StageError
    from ..media import probe as media

    names = [n for n in sidecars(movie) if not _is_ours(movie.parent / n, ours or {})]

    def beside(lang: str) -> Decision | None:
        for n in names:
            found, forced = sidecar_language(movie.stem, n)
            if found and not forced and languages.same_language(found, lang):
                reason = f"a subtitle in {_named(lang)} is beside it: {n}"
                return Decision(True, reason, lang, {"sidecar": str(movie.parent / n)})
        return None

    if language is not None:
        hit = beside(language)
        if hit:
            return hit  # a directory listing decided it: no ffprobe
    try:
        info = media.probe(movie)
    except StageError:
        return Decision(False, "", language)  # demux says what is wrong with the file
    if language is None:
        language = _audio_language(info)
        if language is None:
            return Decision(False, "", None)
        hit = beside(language)
        if hit:
            return hit
    streams = embedded(info, language)
    if streams:
        first = embedded_streams(info, language)[0]
        return Decision(
            True,
            f"a subtitle in {_named(language)} is in the file: {', '.join(streams)}",
            language,
            {"stream": first.get("index"), "codec": first.get("codec_name")},
        )
    return Decision(False, "", language)


def _named(code: str) -> str:
    name = languages.name(code)
    return name if name != "Unknown language" else code


def _is_ours(path: Path, ours: Mapping[str, Any]) -> bool:
    from ..subtitles import publish

    return publish.is_ours(path, ours)


def dry_run(argv: list[str]) -> bool:
    """Whether the snakemake command line asks for a dry run (-n, -np, --dry-run): the
    Snakefile is read before Snakemake knows its executor, so `workflow.dryrun` is not
    set yet when the library is checked."""
    for a in argv[1:]:
        if a in ("--dry-run", "--dryrun"):
            return True
        if a.startswith("-") and not a.startswith("--") and a[1:].isalpha() and "n" in a[1:]:
            return True
    return False


# The stages existing: check runs for a movie that has its subtitle (and the check's own).
CHECK_STAGES = ("demux", "tmdb", "silero_vad", "existing_check")


def started(movie_dir: Path) -> bool:
    """Whether subsmith has worked on this movie (any stage status file): only those of
    existing: check for a movie recorded as having its subtitle."""
    from .status import status_dir

    try:
        names = [n[:-5] for n in os.listdir(status_dir(movie_dir)) if n.endswith(".json")]
    except OSError:
        return False
    if _has_record(movie_dir):
        return any(n not in CHECK_STAGES for n in names)
    return bool(names)


def check_library(
    movies: Mapping[str, Path],
    output_dir: str | os.PathLike[str],
    language: str | None,
    mode: str,
    *,
    write: bool = True,
    workers: int = 8,
    on_skip: Callable[[Path, bool], None] | None = None,
    subtitles: dict[str, Any] | None = None,
) -> dict[str, str]:
    """{movie: reason} of the movies to skip (existing: skip) or to check (existing:
    check: they get demux, silero_vad and the check, no transcription). With `write`,
    each one's decision is recorded (out/<movie>/.existing.json, with the mode and the
    subtitle found) and `on_skip(its folder, decision is new)` called (the workflow
    passes manifest.record_skip: the manifest sits a floor above this module, which it
    reads); a movie no longer skipped loses its record. `subtitles` gets {movie: the
    subtitle found} of those movies. A checked movie has stage
    status files of its own: its record, not those, says it is not subsmith's to do."""
    if mode not in ("skip", "check"):
        for movie in movies if write else ():
            try:  # skipped by an earlier run: done now
                (Path(output_dir) / movie / RECORD).unlink()
            except OSError:
                pass
        return {}
    from ..subtitles import publish

    out = Path(output_dir)
    todo = {m: p for m, p in movies.items() if not started(out / m)}
    cached = read_json(out / CACHE)
    cache: dict[str, Any] = cached.get("movies") or {} if isinstance(cached, dict) else {}
    kept: dict[str, Any] = {}
    changed: set[str] = set()  # skipped movies whose decision is new: their manifest too

    def one(item: tuple[str, Path]) -> tuple[str, Decision | None]:
        movie, path = item
        d = out / movie
        key = {
            "language": language,
            "sidecars": sidecars(Path(path)),
        }
        try:
            key["identity"] = library.identity(path)
        except OSError:
            return movie, None  # gone or unreadable: demux says so
        for last in (read_json(d / RECORD), cache.get(movie)):
            if not isinstance(last, dict) or any(last.get(k) != v for k, v in key.items()):
                continue
            if not last.get("skip"):
                kept[movie] = last
                return movie, Decision(False, "", language)
            if not last.get("subtitle"):
                break  # recorded before records named the subtitle: decide again
            decision = Decision(True, last.get("reason") or "", language, last["subtitle"])
            if last.get("mode", "skip") != mode and write:  # skip <-> check: its manifest too
                _record(d, {**last, "mode": mode}, decision)
                changed.add(movie)
            return movie, decision
        decision = decide(Path(path), language, publish.ledger(d))
        data = {**key, "input": str(path), "skip": decision.skip, "reason": decision.reason}
        data.update(mode=mode, subtitle=decision.subtitle)
        if not decision.skip:
            kept[movie] = data
        if write and _record(d, data, decision):
            changed.add(movie)
        return movie, decision

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        decisions = dict(pool.map(one, todo.items()))
    skipped = {m: d.reason for m, d in decisions.items() if d is not None and d.skip}
    if subtitles is not None:
        subtitles.update({m: decisions[m].subtitle for m in skipped})  # type: ignore[union-attr]
    if write and kept != cache:
        try:
            write_json_atomic(out / CACHE, {"movies": dict(sorted(kept.items()))})
        except OSError:
            pass  # an output folder that cannot be written: the run itself will say so
    if write and on_skip is not None:
        for movie in skipped:
            on_skip(out / movie, movie in changed)
    return skipped


def _has_record(movie_dir: Path) -> bool:
    last = read_json(movie_dir / RECORD)
    return isinstance(last, dict) and bool(last.get("skip"))


def record(movie_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The movie's decision (out/<movie>/.existing.json) when it has a subtitle."""
    last = read_json(Path(movie_dir) / RECORD)
    return last if isinstance(last, dict) and last.get("skip") else None


def _record(movie_dir: Path, data: dict[str, Any], decision: Decision) -> bool:
    """Keep a skip decision, drop the record of one no longer skipped; True when a skip
    decision was written."""
    path = movie_dir / RECORD
    try:
        if decision.skip:
            write_json_atomic(path, data)
            return True
        if path.exists():
            path.unlink()
    except OSError:
        pass  # an output folder that cannot be written: the run itself will say so
    return False
