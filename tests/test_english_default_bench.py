"""bench/english_default.py's scoring: WER pooled over a corpus (all its errors over all
its reference words) beside the mean of its recordings' WERs, after Whisper's English
normaliser (so "Mr." and "Mister" are one word)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import english_default  # noqa: E402  (bench/, not a package)


def test_pooled_and_mean_wer_differ_by_weighting():
    refs = ["the cat sat down", "hello there"]
    hyps = ["the hat sat down", "hello there"]
    pooled, mean = english_default.wer(refs, hyps)
    assert pooled == pytest.approx(1 / 6)
    assert mean == pytest.approx((1 / 4 + 0) / 2)


def test_the_normaliser_counts_spellings_of_one_word_as_one():
    pooled, _ = english_default.wer(
        ["Mr. Smith paid 10 dollars."], ["mister smith paid ten dollars"]
    )
    assert pooled == 0.0


def test_an_empty_hypothesis_is_all_deletions():
    pooled, mean = english_default.wer(["a quiet word"], [""])
    assert pooled == mean == 1.0
