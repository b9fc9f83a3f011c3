"""A sentence's first word that the aligner left stranded in a sound, moved to its voice.

Whisper's word times come from its cross-attention, which has no notion of silence: when
a window holds a sound before a line (a laugh, a door, music) the line's first word is
often timed over that sound, seconds before the rest of its sentence. Seen end to end
(tests/test_sdh_real_sounds.py): "We" timed over a laugh 2.3 s before "are flying to the
Northern Islands", so the subtitle showed "We" alone over the laugh, and the SDH's
[laughter] had to wait for it to end.

Silero tells the two apart. A word is moved when all of this holds:
- it does not end a sentence, and the next word of its segment starts at least
  STRANDED_GAP_S after it ends;
- Silero did not clearly hear a voice under it: less than half of its time lies in a
  region Silero clearly heard (hallucination.clear_voice_spans: peak >= BARELY_PEAK);
- the next word starts inside such a region.
It then ends where the next word starts and begins where that region begins (its own
length at most), never before the word before it. The word and its text stay; only its
time moves. A word said, then a long pause mid-sentence, is kept where it is whenever
Silero heard it clearly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .hallucination import clear_voice_spans

STRANDED_GAP_S = 1.0  # a gap this long inside a sentence is not the speaker's own pause
_ENDS_SENTENCE = (".", "?", "!", "…")


def _heard_share(start: float, end: float, clear: Sequence[tuple[float, float]]) -> float:
    span = max(end - start, 0.01)
    inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in clear)
    return inside / span


def move_stranded_words(
    segments: Sequence[Mapping[str, Any]], regions: Sequence[Mapping[str, float]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """(the segments with stranded lead words moved to their voice, one log line a move)."""
    clear = clear_voice_spans(regions)
    out: list[dict[str, Any]] = []
    moved: list[str] = []
    for seg in segments:
        words = [dict(w) for w in seg.get("words") or []]
        # from the end back, so that two stranded words in a row both reach the voice
        for i in range(len(words) - 2, -1, -1):
            w, nxt = words[i], words[i + 1]
            if w["word"].strip().endswith(_ENDS_SENTENCE):
                continue
            if nxt["start"] - w["end"] < STRANDED_GAP_S:
                continue
            if _heard_share(w["start"], w["end"], clear) >= 0.5:
                continue
            home = next((a for a, b in clear if a <= nxt["start"] < b), None)
            if home is None:
                continue
            floor = words[i - 1]["end"] if i else float("-inf")
            length = max(0.0, w["end"] - w["start"])
            start = max(home, nxt["start"] - length, floor)
            moved.append(
                f"{w['start']:.2f}s word {w['word'].strip()!r} moved to {start:.2f}s, "
                f"to its voice: it sat {nxt['start'] - w['end']:.1f}s before the rest of "
                "its sentence, where Silero heard no clear voice"
            )
            w["start"], w["end"] = round(start, 3), round(nxt["start"], 3)
        if not seg.get("words"):
            out.append(dict(seg))
            continue
        moved_first = words[0]["start"] != seg["words"][0]["start"]
        out.append({**seg, "words": words} | ({"start": words[0]["start"]} if moved_first else {}))
    return out, moved
