"""Turn Whisper word timestamps into subtitle cues: words, segmentation, and the timed cues.

The segmentation follows the conventions professional subtitlers work by (Netflix
Timed Text Style Guide, BBC subtitle guidelines): short lines, at most two of them,
cues that end where the sentence or clause ends, lines broken where the grammar
allows (layout.py), and timings long enough to be read (timing.py). Only the standard
library is used so that this module can be tested, and reused by the other stages,
without the ASR stack installed.

Every cue `compose` returns passes the checker's hard rules by construction (line length
and count, min and max duration, min gap, no overlap), whatever the word times: a word
is never lost on the way, and each kept word is in exactly one cue, in order. The only
words not shown are those timing.py drops with a note (a cue of words the aligner gave
no time that fits nowhere near its speech).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from . import dialogue
from .layout import _break_cost, _imbalance_cost, _layout_span, _split_lines, layout_lines
from .rules import SPEECH, Cue, SubtitleRules, to_ms
from .text import ends_sentence, glue_flags
from .timing import MAX_SHIFT_MS, Slot, time_slots

__all__ = [
    "Composed",
    "Cue",
    "SubtitleRules",
    "build_cues",
    "compose",
    "layout_lines",
    "to_ms",
    # the layout internals the tests weigh against their brute-force definitions
    "_break_cost",
    "_imbalance_cost",
    "_layout_span",
]


@dataclass
class _Word:
    """A layout token: one word as the decoder spelled it, or several glued ones
    ("seven" "-year" "-old"), or a piece of a word longer than a line."""

    text: str
    start: int  # ms
    end: int  # ms
    segment: int | None
    speaker: str | None = None
    sources: list[int] = field(default_factory=list)  # indices of the input words it holds
    piece: bool = False  # part of a word cut to fit a line: never dropped on its own


@dataclass
class Composed:
    """compose's result: the cues, the input words each cue holds (indices, in order),
    the input words dropped and one note per repair worth telling."""

    cues: list[Cue]
    sources: list[list[int]]
    dropped: list[int]
    notes: list[str]


# --------------------------------------------------------------------- words


def _time_ms(raw: Mapping[str, Any], key: str) -> int | None:
    try:
        return to_ms(float(raw[key]))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _chunks(text: str, limit: int) -> list[str]:
    """A token longer than a line, in pieces that each fit one: as many pieces as needed,
    of even length, so that no two of them ever share a line. A subtitle line cannot hold
    it whole, and the checker's line rule has no exception."""
    if len(text) <= limit:
        return [text]
    n = math.ceil(len(text) / limit)
    size = math.ceil(len(text) / n)
    return [text[k : k + size] for k in range(0, len(text), size)]


def _units(words: Sequence[Mapping[str, Any]], rules: SubtitleRules) -> list[_Word]:
    """The words as layout tokens, cleaned of what ASR output can hold.

    Words are joined as the decoder spelled them (text.glue_flags): a word that glues to
    the one before ("-year", "'t", ".9") becomes part of that token. Times: a word
    without a usable time takes the time of the word before it (a word is never lost for
    its timestamp), a start before the previous word's start is moved up to it (the text
    order is kept), an end before the start becomes the start. A word no speaker turn
    reached stays with the speaker before it."""
    texts = [str(raw.get("word", raw.get("text", "")) or "") for raw in words]
    glued = glue_flags(texts)
    out: list[_Word] = []
    for index, (raw, text, glue) in enumerate(zip(words, texts, glued, strict=True)):
        core = " ".join(text.split())
        if not core:
            continue
        floor = out[-1].start if out else 0
        start = _time_ms(raw, "start")
        end = _time_ms(raw, "end") if "end" in raw else start
        if start is None:
            start = out[-1].end if out else 0
        start = max(start, 0, floor)
        end = start if end is None else max(end, start)
        if glue and out:
            last = out[-1]
            last.text += core
            last.end = max(last.end, end)
            last.sources.append(index)
            continue
        segment = raw.get("segment")
        speaker = raw.get("speaker") or (out[-1].speaker if out else None)
        segment = segment if isinstance(segment, int) else None
        out.append(_Word(core, start, end, segment, speaker, [index]))
    pieces: list[_Word] = []
    for w in out:
        parts = _chunks(w.text, rules.max_line_chars)
        for k, part in enumerate(parts):
            a = w.start + (w.end - w.start) * k // len(parts)
            b = w.start + (w.end - w.start) * (k + 1) // len(parts)
            held = w.sources if k == 0 else []
            pieces.append(_Word(part, a, b, w.segment, w.speaker, held, len(parts) > 1))
    return pieces


def _settle(words: list[_Word]) -> None:
    """Speaker changes only where dialogue.settle_turns finds evidence for them."""
    settled = dialogue.settle_turns(
        [w.text for w in words],
        [w.start / 1000 for w in words],
        [w.end / 1000 for w in words],
        [w.speaker for w in words],
    )
    for w, who in zip(words, settled, strict=True):
        w.speaker = who


# --------------------------------------------------------------- segmentation

_CUE_COST = 1.5  # every extra cue costs something: prefer fewer, fuller cues
_BOUNDARY_WEIGHT = 2.0  # where a cue ends matters more than how its lines break
_ORPHAN_COST = 3.0  # a one-word cue flashes by and reads as a fragment
_SHORT_FILL = 0.3  # cues under this fraction of their capacity are penalised...
_SHORT_COST = 10.0  # ...proportionally to how far under it they are
_CPS_COST = 0.5  # per character per second above max_cps
_TOO_BRIEF_COST = 3.0  # the cue cannot be shown for min_duration even using the silence
_LAYOUT_WEIGHT = 0.3  # line-break quality matters, but less than the cue boundary
_MIDLINE_SENTENCE_COST = 3.0  # a sentence ending mid-line in a two-line cue hides its start
_SPEAKER_CHANGE_BONUS = 3.0  # a new speaker is the best place for a new cue...
_SHARED_CUE_COST = 2.0  # ...and two speakers share a cue only when their own cues read worse


class _Text:
    """What the segmentation and the merges of timing.py weigh a span of words with:
    prefix sums of the token lengths, break costs, speaker runs."""

    def __init__(self, words: list[_Word], rules: SubtitleRules) -> None:
        self.words = words
        self.rules = rules
        self.lengths = [len(w.text) for w in words]
        self.prefix = list(accumulate(self.lengths, initial=0))
        pairs = zip(words, words[1:], strict=False)
        self.pair_costs = [_break_cost(a.text, b.text) for a, b in pairs]
        self.talkers = [w.speaker for w in words]
        changes = (a != b for a, b in zip(self.talkers, self.talkers[1:], strict=False))
        self.turns = list(accumulate(changes, initial=0))

    def layout(self, i: int, j: int, shared: bool, dashes: bool) -> tuple[list[int], float] | None:
        """Line ends (from i) and cost of words i..j-1 as one cue, or None if they do not fit."""
        rules = self.rules
        if shared:
            ends = dialogue.dialogue_layout(
                self.talkers, self.prefix, i, j, rules.max_lines, rules.max_line_chars, 2 * dashes
            )
            return (ends, _SHARED_CUE_COST / _LAYOUT_WEIGHT) if ends else None
        overlong = max(self.lengths[i:j]) > rules.max_line_chars
        return _layout_span(self.prefix, self.pair_costs, i, j, rules, overlong)

    def lines(self, i: int, j: int, ends: list[int], shared: bool, dashes: bool) -> list[str]:
        lines = _split_lines([w.text for w in self.words[i:j]], ends)
        if shared and dashes:
            lines = [dialogue.DASH + line for line in lines]
        return lines

    def relayout(self, i: int, j: int, dashes: bool) -> list[str] | None:
        """The lines of words i..j-1 as one cue (a merge in timing.py), or None."""
        shared = self.turns[j - 1] != self.turns[i]
        found = self.layout(i, j, shared, dashes)
        return None if found is None else self.lines(i, j, found[0], shared, dashes)


def _boundary_cost(prev: _Word, nxt: _Word) -> float:
    """How good a cue boundary between two words is: grammar first, then
    the speaker's own pauses and the ASR segment boundaries, which usually agree."""
    cost = _break_cost(prev.text, nxt.text)
    bonus = min(1.5, 3.0 * max(0, nxt.start - prev.end) / 1000)
    if prev.segment is not None and nxt.segment is not None and prev.segment != nxt.segment:
        bonus += 2.5
    if prev.speaker != nxt.speaker:
        bonus += _SPEAKER_CHANGE_BONUS
    return max(0.0, cost - bonus)


def _segment(
    words: list[_Word], rules: SubtitleRules, dashes: bool, text: _Text
) -> list[tuple[int, int, list[str]]]:
    """Split words into cues by dynamic programming over cue boundaries.

    A greedy fill breaks wherever the line runs out, typically mid-clause; choosing
    all boundaries together lets a cue close early at a sentence end when that
    makes the following cues better, which is what a human subtitler does.
    Returns (first word, end word exclusive, lines) triples.
    """
    n = len(words)
    max_ms = to_ms(rules.max_duration)
    min_ms = to_ms(rules.min_duration)
    gap_ms = to_ms(rules.min_gap)
    pause_ms = to_ms(rules.max_pause)
    capacity = rules.max_lines * rules.max_line_chars + rules.max_lines - 1
    lengths = text.lengths
    boundary = [_boundary_cost(a, b) for a, b in zip(words, words[1:], strict=False)]
    sentence_end = [ends_sentence(w.text) for w in words]
    sentences = list(accumulate(sentence_end, initial=0))  # sentence ends before each word
    turns = text.turns

    best = [math.inf] * (n + 1)
    choice: list[tuple[int, list[int], bool] | None] = [None] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == math.inf:
            continue
        length = -1
        last_end = words[i].end
        for j in range(i + 1, n + 1):  # candidate cue = words[i:j]
            word = words[j - 1]
            if j - 1 > i and word.start - last_end > pause_ms:
                break  # never hold a cue across a long silence
            last_end = max(last_end, word.end)
            length += lengths[j - 1] + 1
            if j - i > 1 and last_end - words[i].start > max_ms:
                break
            shared = turns[j - 1] != turns[i]  # a speaker change inside: one line per speaker
            found = text.layout(i, j, shared, dashes)
            if found is None:
                if length > capacity:
                    break
                continue
            ends, layout_cost = found
            cost = _CUE_COST + _LAYOUT_WEIGHT * layout_cost
            if len(ends) > 1:
                hidden = (
                    sentences[j - 1]
                    - sentences[i]
                    - sum(1 for e in ends[:-1] if sentence_end[i + e - 1])
                )
                cost += _MIDLINE_SENTENCE_COST * hidden
            if j < n:
                cost += _BOUNDARY_WEIGHT * boundary[j - 1]
            if j - i == 1 and n > 1:
                cost += _ORPHAN_COST
            fill = length / capacity
            if fill < _SHORT_FILL:
                cost += _SHORT_COST * (_SHORT_FILL - fill)
            # Time the cue could get: up to the next cue's start, within max_duration.
            room = max_ms if j == n else min(max_ms, words[j].start - gap_ms - words[i].start)
            chars = length - (len(ends) - 1)
            if room < min_ms:
                # Crowded (words squeezed together, or the next cue right behind): timing.py
                # gives the cue min_duration anyway. Its reading speed is weighed on that,
                # not on the few ms before the next word, which made every extra cue look
                # cheaper and split squeezed words into one-word cues (issue 28).
                cost += _TOO_BRIEF_COST
                room = min_ms
            cost += _CPS_COST * max(0.0, chars * 1000 / room - rules.max_cps)
            total = best[i] + cost
            if total < best[j]:
                best[j] = total
                choice[j] = (i, ends, shared)

    cues: list[tuple[int, int, list[str]]] = []
    j = n
    while j > 0:
        picked = choice[j]
        assert picked is not None  # a one-word cue is always feasible
        i, ends, shared = picked
        cues.append((i, j, text.lines(i, j, ends, shared, dashes)))
        j = i
    cues.reverse()
    return cues


def _cue(slot: Slot, text: _Text) -> Cue:
    """A timed slot as a cue, each line with its speaker: one line per speaker in a cue
    that changes speaker (dialogue_layout), else the cue's one speaker on every line."""
    talkers = text.talkers[slot.first : slot.last]
    runs = [who for k, who in enumerate(talkers) if k == 0 or who != talkers[k - 1]]
    lines = list(slot.lines)
    who = runs if len(runs) == len(lines) and len(runs) > 1 else [talkers[0]] * len(lines)
    return Cue(slot.start / 1000, slot.end / 1000, lines, who, [SPEECH] * len(lines))


def compose(
    words: Sequence[Mapping[str, Any]], rules: SubtitleRules, dashes: bool = True
) -> Composed:
    """Segment Whisper word timestamps into cues that pass the hard rules (see the
    module's docstring), saying which input words each cue holds and what was repaired.

    Words may carry a `speaker`: a cue then holds one speaker, or two or more with one
    line each, opened by the dialogue dash (`dashes`; off when the words carry labels,
    see subtitles/dialogue.py), and only where dialogue.settle_turns accepts the change.
    Each cue line keeps its speaker (Cue.speakers) and is SPEECH (Cue.kinds)."""
    clean = _units(words, rules)
    if not clean:
        return Composed([], [], [], [])
    _settle(clean)
    text = _Text(clean, rules)
    slots = []
    for i, j, lines in _segment(clean, rules, dashes, text):
        span = clean[i:j]
        slots.append(
            Slot(
                i,
                j,
                lines,
                span[0].start,
                max(w.end for w in span),
                all(w.end == w.start and not w.piece for w in span),
            )
        )
    natural = len(slots)
    kept, dropped = time_slots(slots, rules, lambda i, j: text.relayout(i, j, dashes))
    notes = []
    if len(kept) + len(dropped) < natural:
        notes.append(f"{natural - len(kept) - len(dropped)} cues merged into a neighbour")
    if dropped:
        first = dropped[0]
        said = " ".join(w.text for w in clean[first.first : first.last])
        count = sum(len(w.sources) for s in dropped for w in clean[s.first : s.last])
        notes.append(
            f"{len(dropped)} cues of words the aligner gave no time dropped, no room near "
            f"their place ({count} words; first at {first.speech_start / 1000:.1f}s: "
            f"{said[:60]!r})"
        )
    far = sum(abs(s.start - s.speech_start) > MAX_SHIFT_MS for s in kept)
    if far:
        notes.append(
            f"{far} cues shown over {MAX_SHIFT_MS / 1000:g} s away from their speech "
            "(no room nearer, and too long to share a cue)"
        )
    return Composed(
        [_cue(s, text) for s in kept],
        [[x for w in clean[s.first : s.last] for x in w.sources] for s in kept],
        [x for s in dropped for w in clean[s.first : s.last] for x in w.sources],
        notes,
    )


def build_cues(
    words: Sequence[Mapping[str, Any]], rules: SubtitleRules, dashes: bool = True
) -> list[Cue]:
    """The cues of compose (the words and notes left out)."""
    return compose(words, rules, dashes).cues
