"""Cue timing that passes the hard rules by construction.

The segmentation (cues.py) decides which words go together; this module decides when
each cue shows. Every cue it returns lasts min_duration..max_duration and keeps min_gap
to the next, whatever the word times were: zero-length words, equal or reversed
timestamps, words the aligner squeezed together in fast overlapping talk, the few words
the repetition filter left of a looping segment.

What a cue too short for its place gets, in this order (issue 28):

1. Free time. Each cue needs a slot of min_duration followed by min_gap. The slots are
   placed in the text's order as close as possible to each cue's first word: the
   placement that minimises the summed squared distance from the speech, found exactly
   by pool-adjacent-violators (`spread`). A cue alone in its silence keeps its own start;
   a crowd of short cues spreads into the silence around it, half before, half after.
   Then each cue lingers to its last word and to its reading-speed need, up to the next
   slot, and may appear up to _MAX_LEAD_IN_MS early for reading speed.
2. A merge with a neighbour, when a slot still lands more than MAX_SHIFT_MS from its
   speech (a crowd too dense for its silence) and the two cues' words fit one cue.
3. A drop, with a note, only of a cue whose every word the aligner gave no time at all
   (start == end: what it does to text the decoder wrote but nobody said, such as a
   loop's remnant) that could not be merged and would land over DROP_SHIFT_MS from its
   place. A word with any time is never dropped: a cue far from its speech is better
   than a lost line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .rules import SubtitleRules, to_ms

# A slot farther than this from its first word is not "near the speech": try a merge.
# One second is about the longest a viewer tolerates a line before or after its voice
# (the Netflix guide allows cues to be shifted by a few frames for shot changes; subtitle
# QC tools flag sync errors from about 1 s).
MAX_SHIFT_MS = 1000
# A slot of words the aligner gave no time is dropped only farther than this from its
# speech: within it, a line shown a little off is better than a line lost, real words
# squeezed by fast overlapping talk included.
DROP_SHIFT_MS = 3000
_MAX_LEAD_IN_MS = 500  # how early a cue may appear before speech just to lower reading speed


@dataclass
class Slot:
    """One cue being timed: its word range in the builder's word list, its lines, and the
    speech times of its words (start of the first, latest end)."""

    first: int
    last: int  # exclusive
    lines: list[str]
    speech_start: int  # ms
    speech_end: int  # ms
    unheard: bool  # every word zero-length
    start: int = 0
    end: int = 0
    notes: list[str] = field(default_factory=list)


def spread(anchors: list[int], slot_ms: int) -> list[int]:
    """Starts s_k as close as possible to anchors (least squares) with s_0 >= 0 and
    s_{k+1} >= s_k + slot_ms.

    With c_k = s_k - k * slot_ms the constraint is c nondecreasing, so the best c is the
    isotonic regression of anchors_k - k * slot_ms (pool-adjacent-violators, O(n)), and
    with the bound s_0 >= 0 the bounded solution is that one clipped at zero. Pooled means
    are floored to whole ms, which keeps c nondecreasing."""
    blocks: list[list[int]] = []  # [sum, count]
    for k, a in enumerate(anchors):
        blocks.append([a - k * slot_ms, 1])
        while len(blocks) > 1 and (
            blocks[-2][0] * blocks[-1][1] > blocks[-1][0] * blocks[-2][1]
        ):  # mean of the previous block above this one's: pool them
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    starts: list[int] = []
    for total, count in blocks:
        c, base = max(0, total // count), len(starts)
        starts.extend(c + (base + m) * slot_ms for m in range(count))
    return starts


def _place(slots: list[Slot], rules: SubtitleRules) -> None:
    """Starts by `spread`, then ends: to the last word and the reading-speed need, within
    max_duration and min_gap before the next start; then a short lead-in for reading speed."""
    min_ms, max_ms, gap_ms = (
        to_ms(rules.min_duration),
        to_ms(rules.max_duration),
        to_ms(rules.min_gap),
    )
    starts = spread([s.speech_start for s in slots], min_ms + gap_ms)
    for k, slot in enumerate(slots):
        slot.start = starts[k]
    for k, slot in enumerate(slots):
        chars = sum(len(line) for line in slot.lines)
        need = max(min_ms, min(math.ceil(chars * 1000 / rules.max_cps), max_ms))
        limit = slot.start + max_ms
        if k + 1 < len(slots):
            limit = min(limit, slots[k + 1].start - gap_ms)
        want = max(slot.speech_end, slot.start + need)
        slot.end = max(slot.start + min_ms, min(want, limit))
        if slot.end - slot.start < need:
            earliest = slots[k - 1].end + gap_ms if k else 0
            lead = max(earliest, slot.start - _MAX_LEAD_IN_MS, slot.end - need, slot.end - max_ms)
            slot.start = min(slot.start, lead)


def time_slots(
    slots: list[Slot],
    rules: SubtitleRules,
    relayout: Callable[[int, int], list[str] | None],
) -> tuple[list[Slot], list[Slot]]:
    """(the slots timed within the hard rules, the slots dropped), merging neighbours
    through `relayout(first, last)` (their words' lines, or None if they do not fit one
    cue) where a slot cannot be placed near its speech. See the module's docstring.

    Each round places every slot, then acts on the slots still far from their speech,
    farthest first, at most one action per neighbourhood (a slot and the two beside it),
    so that a film's many crowds shrink side by side: a round costs O(n) and the rounds
    number about the largest crowd's merges, not all of the film's."""
    max_ms = to_ms(rules.max_duration)
    dropped: list[Slot] = []
    settled: set[int] = set()  # first word of slots kept far from their speech
    while slots:
        _place(slots, rules)
        far = sorted(
            (
                k
                for k, s in enumerate(slots)
                if abs(s.start - s.speech_start) > MAX_SHIFT_MS and s.first not in settled
            ),
            key=lambda k: -abs(slots[k].start - slots[k].speech_start),
        )
        if not far:
            break
        busy: set[int] = set()
        actions: list[tuple[int, Slot | None]] = []  # (index, merged slot or None: drop)
        for k in far:
            if busy & {k - 1, k, k + 1}:
                continue
            merged = _merged(slots, k, max_ms, relayout)
            if merged is not None:
                lo, slot = merged
                actions.append((lo, slot))
                busy |= {lo - 1, lo, lo + 1, lo + 2}
            elif slots[k].unheard and abs(slots[k].start - slots[k].speech_start) > DROP_SHIFT_MS:
                actions.append((k, None))
                busy |= {k - 1, k, k + 1}
            else:
                settled.add(slots[k].first)
        for index, slot in sorted(actions, key=lambda a: -a[0]):
            if slot is None:
                dropped.append(slots.pop(index))
            else:
                slots[index : index + 2] = [slot]
    dropped.sort(key=lambda s: s.first)
    return slots, dropped


def _merged(
    slots: list[Slot],
    k: int,
    max_ms: int,
    relayout: Callable[[int, int], list[str] | None],
) -> tuple[int, Slot] | None:
    """(the index of the first of the two, the merged slot): slot k with the neighbour
    whose speech is nearer, else the other one, when the words fit one cue and their
    speech lasts no more than max_duration; None when neither does."""
    options = [m for m in (k - 1, k + 1) if 0 <= m < len(slots)]

    def distance(m: int) -> int:
        a, b = sorted((slots[k], slots[m]), key=lambda s: s.first)
        return b.speech_start - a.speech_end

    for m in sorted(options, key=distance):
        a, b = (slots[m], slots[k]) if m < k else (slots[k], slots[m])
        start, end = a.speech_start, max(a.speech_end, b.speech_end)
        if end - start > max_ms:
            continue
        lines = relayout(a.first, b.last)
        if lines is None:
            continue
        return min(k, m), Slot(a.first, b.last, lines, start, end, a.unheard and b.unheard)
    return None
