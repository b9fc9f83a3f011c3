"""A tag's start moved to its sound's onset (subsmith/sound/onsets.py), and a sentence's
first word moved from a sound to its voice (subsmith/subtitles/stranded.py): each moves
only on clear evidence, and never across dialogue."""

from __future__ import annotations

import numpy as np
import pytest

from subsmith.sound import onsets
from subsmith.subtitles import stranded
from subsmith.subtitles.hallucination import clear_voice_spans

RATE = 16000


def burst(at: float, length: float, total: float, bed: float = 0.0, seed: int = 0) -> np.ndarray:
    """Noise `bed` (RMS) throughout, a loud noise burst from `at` for `length` seconds."""
    rng = np.random.default_rng(seed)
    x = bed * rng.normal(size=int(total * RATE)).astype(np.float32)
    a, b = int(at * RATE), int((at + length) * RATE)
    x[a:b] += 0.3 * rng.normal(size=b - a).astype(np.float32)
    return x


def event(start: float, end: float, tag: str = "door_slam") -> dict:
    return {"tag": tag, "text": "[door slams]", "start": start, "end": end, "score": 0.7}


@pytest.mark.parametrize("patch_start", [2.7, 3.0, 3.6, 4.2])
def test_a_start_before_or_after_a_clear_onset_moves_to_it(patch_start):
    x = burst(3.0, 1.5, 8.0, bed=0.001)
    out = onsets.refine_starts([event(patch_start, 4.6)], x, RATE)
    assert abs(out[0]["start"] - 3.0) <= 0.02
    assert out[0]["end"] == 4.6
    if abs(patch_start - 3.0) > 0.02:
        assert out[0]["patch_start"] == patch_start


def test_no_quiet_before_the_sound_keeps_the_patches_start():
    x = burst(3.0, 1.5, 8.0, bed=0.2)  # a bed as loud as the sound: no onset to hear
    out = onsets.refine_starts([event(3.5, 4.6)], x, RATE)
    assert out[0]["start"] == 3.5 and "patch_start" not in out[0]


def test_a_start_never_moves_across_dialogue():
    x = burst(3.0, 1.5, 8.0, bed=0.001)
    dialogue = clear_voice_spans([{"start": 2.5, "end": 3.3, "peak": 0.99}])
    out = onsets.refine_starts([event(3.6, 4.6)], x, RATE, dialogue)
    assert out[0]["start"] == 3.6
    # a region Silero barely heard (a laugh, peak ~0.6) is not dialogue
    faint = clear_voice_spans([{"start": 2.5, "end": 3.3, "peak": 0.6}])
    assert abs(onsets.refine_starts([event(3.6, 4.6)], x, RATE, faint)[0]["start"] - 3.0) <= 0.02


def test_an_onset_further_back_than_the_window_is_not_taken():
    x = burst(1.0, 5.0, 8.0, bed=0.001)  # began 3 s before the patches' start
    out = onsets.refine_starts([event(4.0, 5.5)], x, RATE)
    assert out[0]["start"] == 4.0


def words(*spec):
    return [{"word": w, "start": a, "end": b, "probability": 0.9} for w, a, b in spec]


LINE = (" We", 13.22, 13.9), (" are", 16.19, 16.33), (" flying.", 16.33, 16.69)
VOICE = {"start": 15.9, "end": 17.0, "peak": 1.0}  # never changed: tests copy it


def test_a_lead_word_over_a_laugh_moves_to_its_voice():
    laugh = {"start": 12.9, "end": 13.6, "peak": 0.65}
    segs, moved = stranded.move_stranded_words(
        [{"start": 13.22, "words": words(*LINE)}], [laugh, VOICE]
    )
    w = segs[0]["words"]
    assert (w[0]["start"], w[0]["end"]) == (15.9, 16.19) and segs[0]["start"] == 15.9
    assert [x["word"] for x in w] == [" We", " are", " flying."] and len(moved) == 1


@pytest.mark.parametrize(
    "why",
    ["heard clearly", "ends a sentence", "short gap", "next word unheard"],
)
def test_a_word_stays_without_every_sign(why):
    spec = list(LINE)
    regions = [{"start": 12.9, "end": 13.6, "peak": 0.65}, dict(VOICE)]
    if why == "heard clearly":
        regions[0]["peak"] = 0.95
    elif why == "ends a sentence":
        spec[0] = (" Wait.", 13.22, 13.9)
    elif why == "short gap":
        spec[0] = (" We", 15.3, 15.5)
    else:
        regions[1]["peak"] = 0.5
    segs, moved = stranded.move_stranded_words(
        [{"start": spec[0][1], "words": words(*spec)}], regions
    )
    assert moved == [] and segs[0]["words"] == words(*spec)


def test_two_stranded_words_both_reach_the_voice_in_order():
    spec = [
        (" So", 12.0, 12.3),
        (" we", 12.4, 12.9),
        (" are", 16.19, 16.33),
        (" off.", 16.33, 16.6),
    ]
    segs, moved = stranded.move_stranded_words([{"start": 12.0, "words": words(*spec)}], [VOICE])
    w = segs[0]["words"]
    assert len(moved) == 2  # "we" first, then "So", stranded once "we" moved
    assert [x["word"] for x in w] == [x["word"] for x in words(*spec)]
    assert w[0]["start"] >= VOICE["start"] and w[1]["end"] == 16.19
    assert all(a["start"] <= b["start"] for a, b in zip(w, w[1:], strict=False))
