"""Subtitle conformance: the rules srt_generation promises, checked on any SRT file.

`subsmith check-srt` and the srt_generation stage share this code, so what the
stage writes is exactly what the checker accepts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from .subformats import read_srt
from .subtitles import (
    Cue,
    SrtParseError,
    SubtitleRules,
    check_cues,
    format_timestamp,
    reading_speed,
)


@dataclass
class Report:
    path: str
    cues: int = 0
    errors: list[str] = field(default_factory=list)  # parse errors and hard-rule violations
    warnings: list[str] = field(default_factory=list)  # reading speed above the target
    within_cps: float = 1.0  # share of cues within the reading-speed target

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.path}: {self.cues} cues, {len(self.errors)} errors, "
            f"{self.within_cps:.0%} within the reading speed"
        )


def check_cue_list(cues: Sequence[Cue], rules: SubtitleRules, path: str = "-") -> Report:
    report = Report(path=path, cues=len(cues))
    report.errors = check_cues(cues, rules)
    fast = [
        (n, c, reading_speed(c))
        for n, c in enumerate(cues, start=1)
        if reading_speed(c) > rules.max_cps + 1e-9
    ]
    report.warnings = [
        f"cue {n} ({format_timestamp(c.start)}): reading speed {cps:.1f} characters/s "
        f"above {rules.max_cps:g}"
        for n, c, cps in fast
    ]
    report.within_cps = 1.0 - len(fast) / len(cues) if cues else 1.0
    return report


def check_file(path: str | os.PathLike[str], rules: SubtitleRules) -> Report:
    try:
        cues = read_srt(path)
    except SrtParseError as exc:
        return Report(path=str(path), errors=[f"parse error: {exc}"])
    except OSError as exc:
        return Report(path=str(path), errors=[f"cannot read: {exc.strerror}"])
    return check_cue_list(cues, rules, str(path))
