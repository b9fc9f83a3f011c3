"""A tag's start moved to where its sound is heard to begin, when the audio shows it.

YAMNet scores 0.96 s patches every 0.48 s, so an event's start (tags.tag_events) is only
known to about half a hop, and later still when the model is slow to recognise a sound:
a laugh that grows from a giggle fires its tag a second after the giggle began; a music
cue at a high threshold fires the patch after the one that first held it. The SDH wants
the tag when the sound starts (issue 34: within 0.5 s).

The refinement trusts only a clear onset: a stretch of at least QUIET_S quiet (every 10 ms
frame below the sound's own level less DROP_DB) followed by the sound, inside a window
from LOOKBACK_S before the event's start to LOOKAHEAD_S after it (the end of the first
patch that fired: the sound it heard is inside that patch). And it never moves a start
across dialogue: a pause between two sentences is also a quiet stretch followed by sound,
so where Silero clearly heard a voice (hallucination.clear_voice_spans, the caller's
`dialogue`) between the old start and the new one, the start stays where the patches put it. A laugh Silero half-hears (peak ~0.5) does
not stop it. bench/sound_onsets.md measures all three: alone, over room tone and under
real speech.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FRAME_S = 0.01
DROP_DB = 15.0  # quiet: this far below the sound's own level (its 75th-percentile frame)
QUIET_S = 0.3  # a quiet stretch at least this long before the onset
LOOKBACK_S = 1.6  # how far before the patches' start an onset may be (2.5 hops)
LOOKAHEAD_S = 0.72  # how far after it: the first firing patch's end (tags.tag_events)
LEVEL_S = 0.96  # the sound's level: over its first patch's length from the start


def frame_db(samples: np.ndarray, rate: int) -> np.ndarray:
    """Energy of each 10 ms frame in dB (full scale 0)."""
    n = int(round(FRAME_S * rate))
    usable = len(samples) // n * n
    frames = np.asarray(samples[:usable], np.float64).reshape(-1, n)
    return 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-10)


def onset(samples: Any, rate: int, start: float, end: float) -> float | None:
    """The onset of the sound an event [start, end] found, or None where no clear one.

    `samples` is anything sliceable by sample index (an array, media.audio.WavSlices)."""
    lo = max(0.0, start - LOOKBACK_S)
    hi = min(max(end, start + LEVEL_S), len(samples) / rate)
    if hi - lo < 2 * QUIET_S:
        return None
    db = frame_db(np.asarray(samples[int(lo * rate) : int(hi * rate)], np.float32), rate)
    at = lambda t: int(round((t - lo) / FRAME_S))  # noqa: E731
    # the sound's level: over the event, its first patch's length at most
    core = db[at(start) : at(min(hi, start + LEVEL_S, max(end, start + 2 * FRAME_S)))]
    if len(core) == 0:
        return None
    quiet = db < np.percentile(core, 75) - DROP_DB
    need = int(round(QUIET_S / FRAME_S))
    last = min(len(db) - 1, at(start + LOOKAHEAD_S))
    # the latest quiet stretch long enough that sound follows before `last`: the sound
    # begins after it (a quiet stretch running to `last` is the sound's tail: look on back)
    run = 0
    for i in range(last, -1, -1):
        if not quiet[i]:
            run = 0
            continue
        run += 1
        if run >= need and i + run <= last:
            return round(lo + (i + run) * FRAME_S, 3)
    return None


def refine_starts(
    events: Sequence[dict[str, Any]],
    samples: Any,
    rate: int,
    dialogue: Sequence[tuple[float, float]] = (),
) -> list[dict[str, Any]]:
    """The events with each start moved to its sound's clear onset, where one is found and
    no dialogue lies between; an event keeps its end, and a start never moves past the end
    or before the previous event of the same tag. The patches' start is kept as
    "patch_start" where it moved."""
    out: list[dict[str, Any]] = []
    last_end: dict[str, float] = {}
    for event in sorted(events, key=lambda e: e["start"]):
        e = dict(event)
        found = onset(samples, rate, e["start"], e["end"])
        if found is not None:
            found = max(found, last_end.get(e["tag"], 0.0))
            a, b = sorted((found, e["start"]))
            crosses = any(s < b and t > a for s, t in dialogue)
            if not crosses and found < e["end"] and abs(found - e["start"]) >= FRAME_S:
                e["patch_start"], e["start"] = e["start"], found
        last_end[e["tag"]] = e["end"]
        out.append(e)
    return sorted(out, key=lambda e: (e["start"], e["tag"]))  # time order, as tags.events
