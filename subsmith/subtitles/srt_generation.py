"""srt_generation's work, from a transcript to cues within the rules: the stage script
and bench/subtitles_real.py run this one function, so the bench measures what ships."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import subtitles
from . import dialogue, hallucination, repair, stranded
from . import turns as speakers


@dataclass
class Made:
    """The cues, and what a reader of the manifest should know about how they came."""

    cues: list[subtitles.Cue]
    notes: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # details for the stage's log only


def make_cues(
    segments: Sequence[Mapping[str, Any]],
    speech: Sequence[Mapping[str, float]] | None,
    rules: subtitles.SubtitleRules,
    *,
    turns: Sequence[Mapping[str, Any]] | None = None,
    speaker_labels: bool = False,
) -> Made:
    """Cues from the transcript's segments (words with times). `turns`: the
    diarization's speaker turns (speakers.json), joined to the words here
    (speakers.assign_speakers; None or empty: no speakers). `speech`: Silero's regions,
    for the hallucination filter; None turns the filter off. The cues pass the checker by construction; should one not,
    it is repaired and noted, never a failed movie (issue 28)."""
    made = Made([])
    segs = list(segments)
    if turns:
        segs = speakers.assign_speakers({"segments": segs}, list(turns))["segments"]
    if speech is not None:
        segs, dropped = hallucination.filter_segments(segs, list(speech))
        made.log += [f"dropped {line}" for line in dropped]
        if dropped:
            laughs = sum("laughter only" in line for line in dropped)
            made.notes.append(
                f"{len(dropped)} segments dropped as non-speech"
                + (f" ({laughs} laughter only, for the SDH track)" if laughs else "")
            )
        segs, moved = stranded.move_stranded_words(segs, list(speech))
        made.log += moved
        if moved:
            made.notes.append(f"{len(moved)} words moved from a sound to their voice")
    words = [{**w, "segment": s["id"]} for s in segs for w in s.get("words", [])]
    if speaker_labels:
        # Settled first, so that a label opens only a change a dash would open.
        words = dialogue.label_runs(dialogue.settle_word_turns(words))
    composed = subtitles.compose(words, rules, dashes=not speaker_labels)
    made.notes += composed.notes
    if not composed.cues:
        return made
    made.cues, repaired = repair.repair(composed.cues, rules)
    made.log += repaired
    made.notes += repaired
    return made
