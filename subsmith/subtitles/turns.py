"""Speakers on the words: the diarization's turns joined to the transcript.

srt_generation reads `diarization/speakers.json` beside the (corrected) transcript and
joins them here, where the speakers are shown (asr and post_ner leave speakers alone).
Each word gets the speaker of the turn that covers most of it (turns may overlap when
two people talk at once), each segment the speaker who says most of it. A word inside
two turns alike goes to the longer turn: Whisper mostly writes one voice where two
overlap, and the second voice of the diarization there is often a short turn inside a
long one (pyannote's reconstruction even pads frames its count says hold two people,
when one cluster is active there, with a label heard only in overlap:
bench/diarization.md, "labels / voices"). A word that no turn touches (Whisper's word
times drift a little past the speech) takes the nearest turn within NEAREST_S, else none.

How the speakers show in the cues (the dialogue dash, labels, where a change may show):
subtitles/dialogue.py.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

NEAREST_S = 0.5  # how far outside every turn a word may lie and still take the nearest
TIE_S = 0.001  # overlaps equal to the millisecond (turn times are rounded to it) are a tie


def speaker_finder(turns: Sequence[dict[str, Any]]) -> Callable[[float, float], str | None]:
    """A function (start, end) -> the speaker of the turn covering most of that span, or
    of the nearest turn within NEAREST_S, else None. Turns are searched by bisection, so
    a feature film's ten thousand words cost milliseconds."""
    turns = sorted(turns, key=lambda t: (t["start"], t["end"]))
    starts = [t["start"] for t in turns]
    # reach[m]: the latest end among turns[:m + 1], and which turn has it.
    reach: list[tuple[float, int]] = []
    for m, t in enumerate(turns):
        reach.append(max(reach[-1], (t["end"], m)) if reach else (t["end"], m))

    def find(start: float, end: float) -> str | None:
        k = bisect.bisect_left(starts, end)  # turns[:k] start before the word ends
        best, best_key = None, (0.0, 0.0)
        m = k - 1
        while m >= 0 and reach[m][0] > start:  # earlier turns all end before the word
            t = turns[m]
            overlap = min(end, t["end"]) - max(start, t["start"])
            # most overlap (equal within TIE_S), then the longer turn
            key = (round(overlap / TIE_S) * TIE_S, t["end"] - t["start"])
            if overlap > 0 and key > best_key:
                best, best_key = t["speaker"], key
            m -= 1
        if best is not None:
            return best
        before = start - reach[k - 1][0] if k else float("inf")
        after = starts[k] - end if k < len(turns) else float("inf")
        if min(before, after) > NEAREST_S:
            return None
        return turns[reach[k - 1][1]]["speaker"] if before <= after else turns[k]["speaker"]

    return find


def assign_speakers(transcript: dict[str, Any], turns: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The transcript with `speaker` on every word and segment (None where no turn is
    near). Segments take the speaker with the most word time in them."""
    find = speaker_finder(turns)
    segments = []
    for seg in transcript.get("segments", []):
        words = [{**w, "speaker": find(w["start"], w["end"])} for w in seg.get("words", [])]
        time: dict[str, float] = {}
        for w in words:
            if w["speaker"] is not None:
                time[w["speaker"]] = time.get(w["speaker"], 0.0) + max(0.01, w["end"] - w["start"])
        if not words:
            speaker = find(seg["start"], seg["end"])
        else:
            speaker = max(time, key=time.get) if time else None
        segments.append({**seg, "speaker": speaker, "words": words})
    return {**transcript, "segments": segments}
