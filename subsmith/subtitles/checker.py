"""Subtitle conformance: the rules srt_generation promises, checked on any SRT file.

`subsmith check-srt` and the srt_generation stage share this code, so what the
stage writes is exactly what the checker accepts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from .rules import Cue, SubtitleRules, to_ms
from .srt import SrtParseError, format_timestamp, read_srt


def reading_speed(cue: Cue) -> float:
    """Characters per second the viewer must read (line breaks are not read)."""
    duration = cue.end - cue.start
    chars = sum(len(line) for line in cue.lines)
    if duration <= 0:
        return math.inf if chars else 0.0
    return chars / duration


def check_cues(cues: Sequence[Cue], rules: SubtitleRules) -> list[str]:
    """List violations of the hard rules, one message per rule per cue.

    Times are compared in whole milliseconds, as written to SRT, with 1 ms of
    tolerance so that rounding never reports a cue that is fine on screen.
    Reading speed is deliberately not checked: it is a target (see reading_speed).
    """
    min_ms, max_ms = rules.min_duration * 1000, rules.max_duration * 1000
    gap_ms = rules.min_gap * 1000
    problems: list[str] = []
    prev_end: int | None = None
    for number, cue in enumerate(cues, start=1):
        start, end = to_ms(cue.start), to_ms(cue.end)
        prefix = f"cue {number} ({format_timestamp(cue.start)}): "
        found: list[str] = []
        if not any(line.strip() for line in cue.lines):
            found.append("empty text")
        if len(cue.lines) > rules.max_lines:
            found.append(f"{len(cue.lines)} lines (max {rules.max_lines})")
        long_lines = [
            f"{k} ({len(line)})"
            for k, line in enumerate(cue.lines, start=1)
            if len(line) > rules.max_line_chars
        ]
        if long_lines:
            found.append(
                f"line {', '.join(long_lines)} longer than {rules.max_line_chars} characters"
            )
        duration = end - start
        if duration <= 0:
            found.append(
                f"start {format_timestamp(cue.start)} is not before end {format_timestamp(cue.end)}"
            )
        elif duration < min_ms - 1:
            found.append(f"duration {duration / 1000:.3f} s below minimum {rules.min_duration} s")
        if duration > max_ms + 1:
            found.append(f"duration {duration / 1000:.3f} s above maximum {rules.max_duration} s")
        if prev_end is not None:
            if start < prev_end:
                found.append(f"overlaps the previous cue by {(prev_end - start) / 1000:.3f} s")
            elif start - prev_end < gap_ms - 1:
                found.append(
                    f"gap to the previous cue {(start - prev_end) / 1000:.3f} s "
                    f"below minimum {rules.min_gap} s"
                )
        problems.extend(prefix + message for message in found)
        prev_end = end
    return problems


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
