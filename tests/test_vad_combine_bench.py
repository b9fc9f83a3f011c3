"""bench/vad_combine.py's bookkeeping: where the gaps between passages are, how much of a
set of regions falls in them, and which regions each mode hands to ASR. (The figures
themselves come from real recordings: bench/vad_combine.md.)"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import vad_combine  # noqa: E402  (bench/, not a package)

RATE = vad_combine.RATE


def test_gaps_are_the_spans_between_passages_by_kind():
    clips = [
        {"name": f"c{k}", "text": f"Sentence {k}.", "audio": np.full(RATE // 2, 0.1)}
        for k in range(12)
    ]
    movie = vad_combine.build_movies(clips, 1)[0]
    ps = movie["passages"]
    spans = vad_combine.gaps(movie)
    assert sum(len(v) for v in spans.values()) == len(ps) - 1
    for p, q in zip(ps, ps[1:], strict=False):
        kind, seconds = p["gap_after"].split()[:2]
        assert (p["end"], q["start"]) in spans[kind]
        assert q["start"] - p["end"] == pytest.approx(float(seconds), abs=0.06)


def test_overlap_counts_only_the_seconds_inside_the_spans():
    regions = [{"start": 0.0, "end": 2.0}, {"start": 5.0, "end": 9.0}]
    assert vad_combine.overlap(regions, [(1.0, 6.0)]) == pytest.approx(2.0)
    assert vad_combine.overlap(regions, [(2.0, 5.0)]) == 0.0
    assert vad_combine.overlap(regions, [(0.0, 1.0), (8.0, 20.0)]) == pytest.approx(2.0)


def test_each_mode_hands_asr_its_regions():
    silero = [{"start": 1.0, "end": 3.0}, {"start": 6.0, "end": 7.0}]
    pyannote = [{"start": 2.0, "end": 4.0}, {"start": 3.5, "end": 5.0}]
    assert vad_combine.regions_for("silero", silero, pyannote) == silero
    assert vad_combine.regions_for("pyannote", silero, pyannote) == [{"start": 2.0, "end": 5.0}]
    assert vad_combine.regions_for("intersection", silero, pyannote) == [{"start": 2.0, "end": 3.0}]
    assert vad_combine.regions_for("union", silero, pyannote) == [
        {"start": 1.0, "end": 5.0},
        {"start": 6.0, "end": 7.0},
    ]
