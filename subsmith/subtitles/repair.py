"""The workflow's safety net: cues that break a hard rule are repaired, never fatal.

compose (cues.py) builds cues that pass the checker by construction, and the property
test (tests/test_subtitle_properties.py) holds it to that. Should a breach still happen
(a bug, or cues from elsewhere), srt_generation does not fail the movie over it: it
repairs the cues here and says so in the stage's notes. The checker stays the oracle:
`subsmith check-srt` and the tests report breaches, they do not hide them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .checker import check_cues
from .cues import _chunks
from .rules import Cue, SubtitleRules, to_ms
from .timing import Slot, time_slots


def _fitting_lines(cue: Cue, rules: SubtitleRules) -> list[Cue]:
    """The cue's lines, each at most max_line_chars (a longer one is cut into even
    pieces, each keeping the line's speaker and kind), grouped max_lines to a cue (the
    cues' times are set by the caller)."""
    pieces = [
        (piece, cue.speaker(k), cue.kind(k))
        for k, line in enumerate(cue.lines)
        if line.strip()
        for piece in _chunks(line.strip(), rules.max_line_chars)
    ]
    groups = [pieces[k : k + rules.max_lines] for k in range(0, len(pieces), rules.max_lines)]
    return [Cue(0, 0, *(list(x) for x in zip(*group, strict=True))) for group in groups]


def repair(cues: Sequence[Cue], rules: SubtitleRules) -> tuple[list[Cue], list[str]]:
    """(cues that pass check_cues, what was wrong) — the cues unchanged when nothing was.

    Lines too long or too many are cut and spread over more cues on the same time; then
    every cue is timed again by timing.time_slots (free time, else kept far from its
    place; nothing is merged or dropped here, so no text is lost)."""
    problems = check_cues(cues, rules)
    if not problems:
        return list(cues), []
    slots: list[Slot] = []
    held: list[Cue] = []  # each slot's lines with their speakers and kinds
    order = sorted(cues, key=lambda c: (to_ms(max(0.0, c.start)), to_ms(max(0.0, c.end))))
    for cue in order:
        groups = _fitting_lines(cue, rules)
        start = to_ms(max(0.0, cue.start))
        end = max(start, to_ms(max(0.0, cue.end)))
        for k, group in enumerate(groups):
            a = start + (end - start) * k // len(groups)
            b = start + (end - start) * (k + 1) // len(groups)
            slots.append(Slot(len(slots), len(slots) + 1, group.lines, a, b, False))
            held.append(group)
    kept, _ = time_slots(slots, rules, lambda i, j: None)
    fixed = [
        Cue(s.start / 1000, s.end / 1000, s.lines, held[s.first].speakers, held[s.first].kinds)
        for s in kept
    ]
    note = f"{len(problems)} subtitle rule breaches repaired (first: {problems[0]})"
    return fixed, [note]
