"""The dialogue in the cues: where a speaker change may show, and how it shows.

Words come with speakers (speakers.assign_speakers, run by srt_generation on the
diarization's turns). In the cues (cues.py calls `dialogue_layout`), a cue holding two
speakers shows one speaker per line, each line opened by the dialogue dash "- " (the
convention of Netflix's and the BBC's style guides), or by the speaker's label when
`srt_generation.speaker_labels` is on. The cue builder prefers to start a new cue at a
speaker change and shares a cue only where separate cues would be too brief or too fast
to read. Each cue line keeps its speaker (rules.Cue.speakers), so a writer that shows
speakers its own way (WebVTT's `<v>`, formats.py) does so from the same cues.

A dash says "another person speaks now", so a wrong one misleads more than a missing one.
Before the cues are built, `settle_turns` keeps only changes the evidence supports:

- Only between sentences. A change at a word that does not end a sentence ("Make it so,
  Mr." | "LaFord.") is the diarization's turn edge falling a word off, or a label
  flickering inside one voice; a sentence belongs to the speaker who says most of it (by
  word time). Abbreviations ("Mr.", "Dr.", "St.", "vs.", "etc.") end no sentence
  (text.py).
- Only for turns the diarization can resolve. A run of one speaker's words lasting less
  than MIN_TURN_S (first word's start to last word's end) goes to the nearer neighbouring
  run. Why 0.2 s, measured by bench/dashes.py (bench/dashes.md, the "min turn" rows and
  its Reading): on a film-like scene the diarization labels every one-word reply right,
  and Whisper times those replies just above 0.3 s, so a 0.5 s threshold erased most of
  its true dashes (0.3 s sat on the edge), with no gain in precision there or on the AMI
  meetings (where no threshold up to 1 s changed a thing; the diarization misses short
  AMI turns altogether, bench/diarization.md). Below 0.2 s
  the diarization has shown nothing it resolves, and what lies there is a sliver: a
  turn edge a word off, or words the aligner squeezed to (nearly) no time in fast
  overlapping talk, which the issue's broken cues were made of.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .text import ends_sentence

DASH = "- "
MIN_TURN_S = 0.2  # a shorter run of one speaker's words is no speaker change (see above)
# A pause this long between words ends a "sentence" for settle_turns even without
# punctuation, so that an unpunctuated transcript is not one speaker's.
SENTENCE_PAUSE_S = 1.0


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


def undashed(line: str) -> str:
    """A dialogue line without its dash, for a writer that shows the speaker itself."""
    return line[len(DASH) :] if line.startswith(DASH) else line
