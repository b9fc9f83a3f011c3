"""Speakers in the transcript and in the subtitles.

Diarization gives speaker turns; ASR gives words. Each word gets the speaker of the turn
that covers most of it (turns may overlap when two people talk at once), each segment
the speaker who says most of it. A word inside two turns alike goes to the longer turn:
Whisper mostly writes one voice where two overlap, and the second voice of the
diarization there is often a short turn inside a long one (pyannote's reconstruction even
pads frames its count says hold two people, when one cluster is active there, with a
label heard only in overlap: bench/diarization.md, "labels / voices"). A word that no turn
touches (Whisper's word times drift a little past the speech) takes the nearest turn
within NEAREST_S, else none.

In the cues (subtitles/cues.py calls `dialogue_layout`), a cue holding two speakers
shows one speaker per line, each line opened by the dialogue dash "- " (the convention
of Netflix's and the BBC's style guides), or by the speaker's label when
`srt_generation.speaker_labels` is on. The cue builder prefers to start a new cue at a
speaker change and shares a cue only where separate cues would be too brief or too fast
to read.

A dash says "another person speaks now", so a wrong one misleads more than a missing one.
Before the cues are built, `settle_turns` keeps only changes the evidence supports:

- Only between sentences. A change at a word that does not end a sentence ("Make it so,
  Mr." | "LaFord.") is the diarization's turn edge falling a word off, or a label
  flickering inside one voice; a sentence belongs to the speaker who says most of it (by
  word time). Abbreviations ("Mr.", "Dr.", "St.", "vs.", "etc.") end no sentence
  (subtitles/text.py).
- Only for turns the diarization can resolve. A run of one speaker's words lasting less
  than MIN_TURN_S (first word's start to last word's end) goes to the nearer neighbouring
  run. Why 0.2 s, measured by bench/dashes.py (bench/dashes.md): on a film-like scene the
  diarization labels every one-word reply right, and Whisper times those replies at
  0.30-0.46 s ("Good." 0.30, "Now." 0.32, "Yes." 0.34, "Understood." 0.46), so a 0.5 s
  threshold erased 4 of its 6 true dashes (0.3 s sat on the edge), with no gain in
  precision there or on the AMI meetings (where no threshold up to 1 s changed a thing;
  the diarization misses short AMI turns altogether, bench/diarization.md). Below 0.2 s
  the diarization has shown nothing it resolves, and what lies there is a sliver: a
  turn edge a word off, or words the aligner squeezed to (nearly) no time in fast
  overlapping talk, which the issue's broken cues were made of.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

from .subtitles.text import ends_sentence

NEAREST_S = 0.5  # how far outside every turn a word may lie and still take the nearest
TIE_S = 0.001  # overlaps equal to the millisecond (turn times are rounded to it) are a tie
DASH = "- "
MIN_TURN_S = 0.2  # a shorter run of one speaker's words is no speaker change (see above)
# A pause this long between words ends a "sentence" for settle_turns even without
# punctuation, so that an unpunctuated transcript is not one speaker's.
SENTENCE_PAUSE_S = 1.0


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


def settle_turns(
    texts: Sequence[str],
    starts: Sequence[float],
    ends: Sequence[float],
    labels: Sequence[str | None],
    min_turn: float = MIN_TURN_S,
    pause: float = SENTENCE_PAUSE_S,
) -> list[str | None]:
    """The words' speakers with changes only where the evidence supports one (see the
    module's docstring): one speaker per sentence (the most word time; the first
    speaker on a tie; a pause of `pause` seconds ends a sentence too), then runs shorter than min_turn (seconds, like the times) joined
    to the nearer neighbouring run. Words with no speaker keep None; they neither start
    nor end a run."""
    out = list(labels)
    n = len(out)
    first = 0
    for k in range(n):
        if k == n - 1 or ends_sentence(texts[k].strip()) or starts[k + 1] - ends[k] >= pause:
            time: dict[str, float] = {}
            for m in range(first, k + 1):
                if out[m] is not None:
                    time[out[m]] = time.get(out[m], 0.0) + max(0.001, ends[m] - starts[m])
            if len(time) > 1:
                owner = max(time, key=lambda who: time[who])
                for m in range(first, k + 1):
                    if out[m] is not None:
                        out[m] = owner
            first = k + 1
    runs = _runs(out)
    for r, (a, b) in enumerate(runs):
        if len(runs) < 2 or max(ends[a:b]) - starts[a] >= min_turn:
            continue
        before = starts[a] - max(ends[runs[r - 1][0] : runs[r - 1][1]]) if r else math.inf
        after = starts[runs[r + 1][0]] - max(ends[a:b]) if r + 1 < len(runs) else math.inf
        source = runs[r - 1] if before <= after else runs[r + 1]
        who = out[source[0]]
        for m in range(a, b):
            if out[m] is not None:
                out[m] = who
    return out


def _runs(labels: Sequence[str | None]) -> list[tuple[int, int]]:
    """[start, end) of each run of one speaker, words without a speaker inside the run
    they sit in (or on their own before the first)."""
    runs: list[tuple[int, int]] = []
    current: str | None = None
    start = 0
    for k, who in enumerate(labels):
        if who is None or who == current:
            continue
        if current is not None:
            runs.append((start, k))
            start = k
        current = who
    if current is not None:
        runs.append((start, len(labels)))
    return runs


def settle_word_turns(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """settle_turns on transcript words (dicts with word, start, end, speaker): the words
    with their settled speaker, the others unchanged. Times that are not numbers count as
    zero-length (the cue builder repairs them)."""

    def num(w: dict[str, Any], key: str) -> float:
        try:
            value = float(w.get(key, w.get("start", 0.0)))
        except (TypeError, ValueError):
            return 0.0
        return value if math.isfinite(value) else 0.0

    starts = [num(w, "start") for w in words]
    ends = [max(num(w, "end"), s) for w, s in zip(words, starts, strict=True)]
    settled = settle_turns(
        [str(w.get("word", "")) for w in words], starts, ends, [w.get("speaker") for w in words]
    )
    return [
        w if w.get("speaker") == who else {**w, "speaker": who}
        for w, who in zip(words, settled, strict=True)
    ]


def label_prefix(speaker: str) -> str:
    """What opens a speaker's first words when labels are asked for."""
    return f"[{speaker}] "


def label_runs(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Words with the speaker's label glued to the first word of each speaker's run, so
    the cue builder counts it in the line length and never parts it from the word."""
    out, last = [], None
    for w in words:
        speaker = w.get("speaker")
        if speaker is not None and speaker != last:
            text = str(w.get("word", ""))
            space = text[: len(text) - len(text.lstrip())]  # the decoder's space stays first
            w = {**w, "word": space + label_prefix(speaker) + text.strip()}
        last = speaker if speaker is not None else last
        out.append(w)
    return out


def dialogue_layout(
    speakers: Sequence[str | None],
    prefix: Sequence[int],
    i: int,
    j: int,
    max_lines: int,
    max_line_chars: int,
    opener: int,
) -> list[int] | None:
    """Line ends (counted from i) for a cue of words i..j-1 in which the speaker
    changes: one line per speaker run, each `opener` characters wider (the dash), or
    None when a run does not fit on one line or there are more runs than lines.

    `prefix` are the prefix sums of the word lengths, as the cue builder keeps them."""
    ends = [k - i for k in range(i + 1, j) if speakers[k] != speakers[k - 1]] + [j - i]
    if len(ends) > max_lines:
        return None
    start = i
    for e in ends:
        end = i + e
        if prefix[end] - prefix[start] + (end - start - 1) + opener > max_line_chars:
            return None
        start = end
    return ends
