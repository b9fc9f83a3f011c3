"""subsmith.subtitles.timing: cue times within the hard rules by construction (issue 28)."""

from __future__ import annotations

import random

from cue_helpers import RULES
from subsmith.subtitles import check_cues, compose
from subsmith.subtitles.timing import MAX_SHIFT_MS, spread


def _cost(starts, anchors):
    return sum((s - a) ** 2 for s, a in zip(starts, anchors, strict=True))


def test_spread_keeps_free_cues_in_place_and_is_least_squares():
    assert spread([0, 5000, 9000], 916) == [0, 5000, 9000]
    # Three cues at one instant: one slot before, one on it, one after.
    assert spread([10000, 10000, 10000], 1000) == [9000, 10000, 11000]
    assert spread([0, 0], 1000) == [0, 1000]  # nothing before second 0
    rng = random.Random(3)
    for _ in range(300):
        anchors = sorted(rng.randint(0, 20000) for _ in range(rng.randint(1, 9)))
        slot = rng.choice([1, 500, 916, 3000])
        got = spread(anchors, slot)
        assert got[0] >= 0
        assert all(b - a >= slot for a, b in zip(got, got[1:], strict=False))
        # No single start can move 1 ms to do better while the rules still hold.
        for k in range(len(got)):
            for step in (-1, 1):
                moved = got[:k] + [got[k] + step] + got[k + 1 :]
                ok = moved[0] >= 0 and all(
                    b - a >= slot for a, b in zip(moved, moved[1:], strict=False)
                )
                if ok:
                    assert _cost(moved, anchors) >= _cost(got, anchors) - 1


def test_squeezed_words_become_few_full_cues_near_their_place():
    """Forty words the aligner put at one instant, in a long silence: full cues spread
    around the instant, none dropped, none more than MAX_SHIFT_MS off (the segmentation
    used to cut such a crowd into one-word cues that then found no room)."""
    text = "we never said that to anybody and we will not say it now because nobody " * 3
    words = [{"word": " " + w, "start": 60.0, "end": 60.0} for w in text.split()[:40]]
    composed = compose(words, RULES)
    assert check_cues(composed.cues, RULES) == []
    assert composed.dropped == [] and len(composed.cues) <= 4
    assert all(abs(c.start - 60.0) * 1000 <= MAX_SHIFT_MS + 916 for c in composed.cues)


def test_a_crowd_with_no_room_drops_only_unheard_words_and_says_so():
    words = [
        {"word": " " + "x" * 40 + str(k), "start": 0.0, "end": 0.0, "segment": k} for k in range(14)
    ]
    words.append({"word": " Heard.", "start": 0.0, "end": 0.4})
    composed = compose(words, RULES)
    assert check_cues(composed.cues, RULES) == []
    shown = [i for held in composed.sources for i in held]
    assert 14 in shown  # the word with time is never dropped
    assert composed.dropped and any("dropped" in n for n in composed.notes)
    assert sorted(shown + composed.dropped) == list(range(15))
