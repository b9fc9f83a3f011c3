"""subsmith.subtitles.checker: the hard rules on cues and files, and `subsmith check-srt`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cue_helpers import RULES
from subsmith.subtitles import (
    Cue,
    check_cues,
    reading_speed,
)

# ------------------------------------------------------------------- checks


def test_check_cues_reports_each_rule():
    cues = [
        Cue(1.0, 1.5, ["short"]),  # below min duration
        Cue(1.55, 10.0, ["x" * 43, "two", "three"]),  # gap, too long, lines
        Cue(9.0, 9.0, [""]),  # overlap, start == end, empty
    ]
    problems = check_cues(cues, RULES)
    assert problems[0].startswith("cue 1 (00:00:01,000): duration 0.500 s below minimum")
    second = [p for p in problems if p.startswith("cue 2 (00:00:01,550): ")]
    assert len(second) == 4
    assert any("3 lines (max 2)" in p for p in second)
    assert any("line 1 (43) longer than 42" in p for p in second)
    assert any("above maximum" in p for p in second)
    assert any("gap to the previous cue 0.050 s" in p for p in second)
    third = [p for p in problems if p.startswith("cue 3 (00:00:09,000): ")]
    assert len(third) == 3
    assert any("empty text" in p for p in third)
    assert any("not before end" in p for p in third)
    assert any("overlaps the previous cue" in p for p in third)
    assert len(problems) == 1 + 4 + 3


def test_check_cues_millisecond_tolerance():
    cues = [Cue(0.0, 0.832, ["ok"]), Cue(0.915, 7.916, ["ok"])]
    assert check_cues(cues, RULES) == []
    assert len(check_cues([Cue(0.0, 0.831, ["too short"])], RULES)) == 1


def test_reading_speed():
    assert reading_speed(Cue(0.0, 2.0, ["Hello", "world!"])) == pytest.approx(5.5)
    assert reading_speed(Cue(1.0, 1.0, ["x"])) == float("inf")


def test_check_srt_command(tmp_path):
    good = tmp_path / "good.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:03,000\nA fine cue.\n\n", encoding="utf-8")
    bad = tmp_path / "bad.srt"
    bad.write_text(
        "1\n00:00:01,000 --> 00:00:01,200\n"
        "This line is far too long to be one readable subtitle line\n\n"
        "2\n00:00:01,100 --> 00:00:03,000\nOverlap\n\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.srt"
    broken.write_text("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nxx --> yy\nno\n")
    exe = str(Path(sys.executable).parent / "subsmith")
    ok = subprocess.run([exe, "check-srt", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0 and "1 cues, 0 errors" in ok.stdout
    res = subprocess.run([exe, "check-srt", str(good), str(bad)], capture_output=True, text=True)
    assert res.returncode == 1
    assert "cue 1 (00:00:01,000): line 1 (58) longer than 42 characters" in res.stdout
    assert "cue 1 (00:00:01,000): duration 0.200 s below minimum 0.833 s" in res.stdout
    assert "cue 2 (00:00:01,100): overlaps the previous cue by 0.100 s" in res.stdout
    res = subprocess.run([exe, "check-srt", str(broken)], capture_output=True, text=True)
    assert res.returncode == 1 and "parse error: line 6: " in res.stdout
