"""Drop what Whisper says when nobody speaks.

Whisper is known to invent text over music and silence ("Thank you for watching.",
"[Music]", the same line again and again). Three gates: a word must lie inside a
speech region found by the VAD stage; music or sound tags alone are not dialogue;
and a segment that repeats the previous ones, or is a stock phrase Whisper produces
from nothing, is dropped when the model itself doubts it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

STOCK_PHRASES = (
    "thank you for watching",
    "thanks for watching",
    "please subscribe",
    "like and subscribe",
    "subscribe to my channel",
    "see you in the next video",
    "subtitles by",
    "transcribed by",
    "amara.org",
    "translated by",
)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def in_speech(t0: float, t1: float, regions: Sequence[dict[str, float]], pad: float) -> bool:
    mid = (t0 + t1) / 2
    return any(r["start"] - pad <= mid <= r["end"] + pad for r in regions)


def is_stock_phrase(text: str) -> bool:
    norm = _norm(text)
    return any(norm.startswith(p) or norm == p for p in STOCK_PHRASES) and len(norm) < 60


def filter_segments(
    segments: Sequence[dict[str, Any]],
    regions: Sequence[dict[str, float]] | None,
    *,
    pad: float = 0.3,
    max_repeats: int = 2,
) -> tuple[list[dict[str, Any]], list[str]]:
    """(kept segments with kept words, one note per dropped segment)."""
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    recent: list[str] = []
    for seg in segments:
        text = seg.get("text", "")
        words = list(seg.get("words") or [])
        if regions is not None:
            words = [w for w in words if in_speech(w["start"], w["end"], regions, pad)]
        norm = _norm(" ".join(w["word"] for w in words) if words else "")
        reason = None
        if not words or not norm:
            reason = "outside speech" if seg.get("words") and not words else "no words"
        elif not re.search(r"[^\W\d_]{2,}", _untag(text)):
            reason = "sound tag only"
        elif recent.count(norm) >= max_repeats:
            reason = "repeated"
        elif is_stock_phrase(norm) and (
            seg.get("no_speech_prob", 0) > 0.3 or seg.get("avg_logprob", 0) < -0.7
        ):
            reason = "stock phrase over little speech"
        if reason:
            dropped.append(f"{seg.get('start', 0):.1f}s {reason}: {text.strip()[:60]!r}")
            continue
        recent = (recent + [norm])[-5:]
        kept.append({**seg, "words": words})
    return kept, dropped


def _untag(text: str) -> str:
    return re.sub(r"\[[^\]]*\]|\([^)]*\)|[♪♫]", " ", text)
