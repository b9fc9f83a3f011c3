"""The SDH subtitle (subtitles for the deaf and hard of hearing): the dialogue plus what
the viewer cannot hear, from the sound_events stage's tags (events/sound_events.json).

Style: the Netflix English (USA) Timed Text Style Guide, its SDH section, and only it:
- a sound effect is a description in square brackets, lower case: "[phone ringing]"
  (`sound_line`; the config's tag text is brought to that form, "♪ music ♪" included,
  since instrumental music is described, not noted: "[music]");
- lyrics are framed by a music note at the start and end of each line: "♪ la la ♪"
  (`lyric_line`), where the decoder's words lie inside a `singing` event;
- a sound effect sits on its own line, never inside a line of dialogue, and is timed to
  the sound it describes.

Placement keeps every rule of the normal cues (rules.py; the checker accepts the
result) and never touches the dialogue: the normal subtitle is the input, unchanged in
text and time. Each event, in time order, is shown
1. in free time: a cue of its own between the cues around it (min_gap kept), starting
   when the sound starts or as soon after as a gap opens while the sound lasts, shown
   for the sound's length within min_duration..max_duration; else
2. as its own line in a one-line dialogue cue that starts while the sound is heard (or
   up to LEAD_S before it), above the dialogue line: no sentence is split, no line of
   dialogue is hidden or shortened; else
3. dropped, and counted in the notes (a tag that cannot be placed is not forced in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .rules import MUSIC, SOUND, SPEECH, Cue, SubtitleRules, to_ms

STYLE = "Netflix English (USA) Timed Text Style Guide, SDH"
LEAD_S = 0.5  # a dialogue cue may start this much before the sound and still carry its tag
SINGING = "singing"  # the tag whose events mark sung words (lyrics) rather than a sound line
NOTE = "♪"
_NEVER = 1 << 62  # a busy span past every movie's end


def sound_line(text: str) -> str:
    """A tag's text as the style writes a sound: "[door slams]", lower case, brackets,
    no music notes ("♪ music ♪" -> "[music]")."""
    inner = " ".join(text.replace(NOTE, " ").strip().strip("[]()").split()).lower()
    return f"[{inner}]" if inner else ""


def lyric_line(line: str) -> str:
    """A line of sung words as the style writes lyrics: "♪ la la ♪"."""
    return f"{NOTE} {line.strip()} {NOTE}"


@dataclass
class Sdh:
    """The SDH cues and what the manifest should say about them."""

    cues: list[Cue]
    placed: dict[str, int] = field(default_factory=dict)  # tag -> events shown
    dropped: dict[str, int] = field(default_factory=dict)  # tag -> events not placed
    lyrics: int = 0  # dialogue cues shown as lyrics

    @property
    def notes(self) -> list[str]:
        shown = sum(self.placed.values())
        out = [
            f"SDH: {shown} sound tags"
            + (
                ": " + ", ".join(f"{n} {t}" for t, n in sorted(self.placed.items()))
                if shown
                else ""
            )
        ]
        if self.dropped:
            lost = ", ".join(f"{n} {t}" for t, n in sorted(self.dropped.items()))
            out.append(f"SDH: {sum(self.dropped.values())} tags dropped, no room ({lost})")
        if self.lyrics:
            out.append(f"SDH: {self.lyrics} cues marked as lyrics")
        return out


def _mark_lyrics(cues: list[Cue], singing: list[tuple[int, int]], rules: SubtitleRules) -> int:
    """Dialogue cues lying mostly inside a singing event become lyrics, each line framed
    by music notes where the framed line still fits; returns how many."""
    count = 0
    for k, cue in enumerate(cues):
        a, b = to_ms(cue.start), to_ms(cue.end)
        inside = sum(max(0, min(b, e) - max(a, s)) for s, e in singing)
        framed = [lyric_line(x) for x in cue.lines]
        if 2 * inside < b - a or max(map(len, framed)) > rules.max_line_chars:
            continue
        cues[k] = replace(cue, lines=framed, kinds=[MUSIC] * len(framed))
        count += 1
    return count


def _free_slot(
    busy: list[tuple[int, int]], start: int, end: int, rules: SubtitleRules
) -> tuple[int, int] | None:
    """The first [a, b) starting within the sound [start, end), clear of every busy span
    by min_gap, shown for the sound's length where it can (at least min_duration, at
    most max_duration), or None."""
    gap, shortest = to_ms(rules.min_gap), to_ms(rules.min_duration)
    longest = to_ms(rules.max_duration)
    a = max(0, start)
    for s, e in [*sorted(busy), (_NEVER, _NEVER)]:
        if a >= end:
            return None
        if e + gap <= a:
            continue  # over before the candidate starts
        b = min(max(end, a + shortest), a + longest, s - gap)
        if b - a >= shortest:
            return a, b
        a = max(a, e + gap)
    return None


def _into_cue(cues: list[Cue], line: str, start: int, end: int, rules: SubtitleRules) -> bool:
    """Put a sound line above the dialogue of a one-line cue that starts while the sound
    is heard (or LEAD_S before); True when it found one."""
    lead = to_ms(LEAD_S)
    for k, cue in enumerate(cues):
        a = to_ms(cue.start)
        if not start - lead <= a < end or len(cue.lines) >= rules.max_lines:
            continue
        if SOUND in cue.kinds:
            continue  # one sound line a cue
        cues[k] = Cue(
            cue.start,
            cue.end,
            [line, *cue.lines],
            [None, *(cue.speaker(i) for i in range(len(cue.lines)))],
            [SOUND, *(cue.kind(i) for i in range(len(cue.lines)))],
        )
        return True
    return False


def make_sdh(
    dialogue: Sequence[Cue], events: Sequence[Mapping[str, Any]], rules: SubtitleRules
) -> Sdh:
    """The SDH cues: `dialogue` (the normal subtitle's cues, never changed in time or
    wording) with the sound events placed as the module's docstring says, in order."""
    cues = [
        replace(c, speakers=list(c.speakers), kinds=list(c.kinds) or [SPEECH] * len(c.lines))
        for c in dialogue
    ]
    out = Sdh(cues)
    spans = [(to_ms(float(e["start"])), to_ms(float(e["end"])), e) for e in events]
    singing = [(s, e) for s, e, ev in spans if ev.get("tag") == SINGING]
    out.lyrics = _mark_lyrics(cues, singing, rules) if singing else 0
    tags: list[Cue] = []
    for start, end, ev in sorted(spans, key=lambda x: (x[0], x[1], str(x[2].get("tag")))):
        tag = str(ev.get("tag") or ev.get("text") or "sound")
        if tag == SINGING:
            continue
        line = sound_line(str(ev.get("text") or tag))
        if not line or len(line) > rules.max_line_chars or end <= start:
            out.dropped[tag] = out.dropped.get(tag, 0) + 1
            continue
        busy = [(to_ms(c.start), to_ms(c.end)) for c in [*cues, *tags]]
        slot = _free_slot(busy, start, end, rules)
        if slot is not None:
            tags.append(Cue(slot[0] / 1000, slot[1] / 1000, [line], [None], [SOUND]))
        elif not _into_cue(cues, line, start, end, rules):
            out.dropped[tag] = out.dropped.get(tag, 0) + 1
            continue
        out.placed[tag] = out.placed.get(tag, 0) + 1
    out.cues = sorted([*cues, *tags], key=lambda c: (to_ms(c.start), to_ms(c.end)))
    return out
