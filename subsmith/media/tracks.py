"""Which audio stream carries the movie's dialogue, and why (demux's choice).

A movie file often holds several audio streams: dubs, a director's commentary, audio
description, karaoke. Muxers flag them loosely (mkvmerge often marks every track
default), so no single flag can be trusted. The streams are ranked instead:

1. never an extra (commentary, audio description, karaoke, hearing-impaired), known by
   its disposition or its title, unless the user forces that stream by index;
2. the configured spoken language (untagged streams only when none is tagged with it);
3. the default flag;
4. the movie's original language, when the metadata knows it;
5. more channels (the theatrical mix over a stereo fold-down).

The result names the stream and the reason in one line for media.json and the manifest,
e.g. "#2 eng 5.1 'English' (eng, default; skipped #1: commentary)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core import languages
from ..core.errors import StageError

# ffprobe disposition flags that mark a stream as something other than the movie's mix.
_EXTRA_DISPOSITIONS = {
    "comment": "commentary",
    "visual_impaired": "audio description",
    "hearing_impaired": "hearing impaired",
    "karaoke": "karaoke",
}
# Titles that say the same when the flags are missing (most rips carry only a title).
_EXTRA_TITLES = (
    (re.compile(r"comment|kommentar|commentaire|commento|comentario", re.I), "commentary"),
    # "Director's Cut" names the cut of the film, not a commentary.
    (re.compile(r"\b(director|regisseur|réalisateur)(?!.{0,3}\bcut\b)", re.I), "commentary"),
    (re.compile(r"descri|\bAD\b|audiodeskription|visually", re.I), "audio description"),
    (re.compile(r"karaoke|sing[- ]?along", re.I), "karaoke"),
)
_UNTAGGED = {None, "", "und", "unk", "mis", "zxx", "mul"}


@dataclass
class Choice:
    """The chosen stream and the one-line reason (also kept as fields for media.json)."""

    stream: dict[str, Any]
    why: list[str]
    skipped: list[str] = field(default_factory=list)

    @property
    def index(self) -> int:
        return int(self.stream["index"])

    def line(self) -> str:
        parts = [", ".join(self.why)] if self.why else []
        if self.skipped:
            parts.append("skipped " + ", ".join(self.skipped))
        return describe(self.stream) + (f" ({'; '.join(parts)})" if parts else "")


def language_of(stream: dict[str, Any]) -> str | None:
    lang = ((stream.get("tags") or {}).get("language") or "").strip().lower()
    return None if lang in _UNTAGGED else lang


def title_of(stream: dict[str, Any]) -> str:
    return ((stream.get("tags") or {}).get("title") or "").strip()


def layout_of(stream: dict[str, Any]) -> str:
    """'5.1', '7.1', 'stereo', 'mono' or 'N ch': how people name a mix."""
    layout = (stream.get("channel_layout") or "").split("(")[0]
    if layout:
        return layout
    n = stream.get("channels")
    return {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(n, f"{n} ch")


def describe(stream: dict[str, Any]) -> str:
    title = title_of(stream)
    return " ".join(
        p
        for p in (
            f"#{stream['index']}",
            language_of(stream) or "und",
            layout_of(stream),
            f"{title!r}" if title else "",
        )
        if p
    )


def extra_kind(stream: dict[str, Any]) -> str | None:
    """'commentary', 'audio description', ... when the stream is not the movie's mix."""
    disposition = stream.get("disposition") or {}
    for flag, kind in _EXTRA_DISPOSITIONS.items():
        if disposition.get(flag):
            return kind
    title = title_of(stream)
    for pattern, kind in _EXTRA_TITLES:
        if pattern.search(title):
            return kind
    return None


def choose(
    streams: list[dict[str, Any]],
    language: str | None = None,
    *,
    original_language: str | None = None,
    forced_index: int | None = None,
) -> Choice:
    """Rank the audio streams (see the module docstring); StageError when none fits.

    `language` None means any language (language: auto)."""
    if not streams:
        raise StageError("the movie has no audio stream: there is no speech to subtitle")
    if forced_index is not None:
        for s in streams:
            if s.get("index") == forced_index:
                return Choice(s, [f"demux.audio_stream: {forced_index}"])
        found = ", ".join(f"#{s['index']}" for s in streams)
        raise StageError(
            f"demux.audio_stream is {forced_index} but the audio streams are {found}; "
            "set demux.audio_stream to one of them (or null to choose automatically)"
        )
    skipped: list[str] = []
    main = []
    for s in streams:
        kind = extra_kind(s)
        if kind:
            skipped.append(f"#{s['index']}: {kind}")
        else:
            main.append(s)
    if not main:
        raise StageError(
            "every audio stream is a commentary, description or karaoke track ("
            + ", ".join(skipped)
            + "); set demux.audio_stream to the index of the one to transcribe"
        )
    why: list[str] = []
    if language:
        tagged = [s for s in main if languages.same_language(language_of(s), language)]
        untagged = [s for s in main if language_of(s) is None]
        if tagged:
            pool = tagged
            why.append(languages.to_639_2(language))
        elif untagged:
            pool = untagged
            why.append(f"no stream tagged {language}, untagged")
        else:
            found = sorted({language_of(s) or "und" for s in main})
            extras = f"; skipped {', '.join(skipped)}" if skipped else ""
            raise StageError(
                f"no audio stream in {language!r} (the movie has: {', '.join(found)}{extras}); "
                "set demux.audio_language (or language) to one of them, "
                "or demux.audio_stream to a stream's index"
            )
        skipped += [f"#{s['index']}: {language_of(s) or 'und'}" for s in main if s not in pool]
    else:
        pool = main

    def rank(s: dict[str, Any]) -> tuple[int, int, int, int]:
        return (
            int(bool((s.get("disposition") or {}).get("default"))),
            int(languages.same_language(language_of(s), original_language)),
            int(s.get("channels") or 0),
            -int(s["index"]),
        )

    best = max(pool, key=rank)
    top = rank(best)
    labels = (
        "default",
        f"original language {original_language}",
        f"most channels ({best.get('channels')})",
        "first of equals",
    )
    # For each stream it beat, the first criterion that told them apart.
    decided = set()
    for s in pool:
        if s is not best:
            other = rank(s)
            decided.add(next(i for i in range(4) if top[i] != other[i]))
    why += [labels[i] for i in sorted(decided)]
    if not decided and top[0]:
        why.append("default")
    return Choice(best, why, skipped)
