"""The subtitle rules and the cue: what every other subtitles module shares.

All timing work is done in integer milliseconds (to_ms): SRT has millisecond precision,
so computing in ms means that what the checker validates is exactly what srt.to_srt
writes, with no float drift between the two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..core.settings import options

__all__ = ["KINDS", "MUSIC", "SOUND", "SPEECH", "Cue", "SubtitleRules", "to_ms"]

# What a cue line holds: words someone says, a sound tag ("[door slams]"), or sung words
# / music ("♪ ... ♪"). The writers and the checker tell them apart by this, not by text.
SPEECH, SOUND, MUSIC = "speech", "sound", "music"
KINDS = (SPEECH, SOUND, MUSIC)


@dataclass(frozen=True)
class SubtitleRules:
    """The style limits a cue is built and checked against (the `srt_generation:` section of
    config.yaml holds their values: Netflix English)."""

    max_line_chars: int
    max_lines: int
    min_duration: float  # seconds
    max_duration: float
    min_gap: float  # seconds between cues (2 frames at 24 fps)
    max_cps: float  # reading speed target, characters per second (soft)
    max_pause: float  # a cue never spans a silence between words longer than this

    def __post_init__(self) -> None:
        # Fail at config load, not deep inside segmentation with a confusing result.
        problems = []
        if self.max_line_chars < 1:
            problems.append("max_line_chars must be >= 1")
        if self.max_lines < 1:
            problems.append("max_lines must be >= 1")
        if not 0 < self.min_duration <= self.max_duration:
            problems.append("need 0 < min_duration <= max_duration")
        if self.min_gap < 0:
            problems.append("min_gap must be >= 0")
        if self.max_cps <= 0:
            problems.append("max_cps must be > 0")
        if self.max_pause <= 0:
            problems.append("max_pause must be > 0")
        if problems:
            raise ValueError("invalid subtitle rules: " + "; ".join(problems))

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> SubtitleRules:
        """The rules of the `srt_generation:` config section (its other keys are ignored)."""
        return options(cls, cfg, "srt_generation")


@dataclass
class Cue:
    """One subtitle: times in movie seconds, text already broken into lines.

    `lines` are the text as SRT shows it (a shared cue's dialogue dashes included: what
    the checker measures). Per line, `speakers` holds who says it (None: unknown) and
    `kinds` what it is (SPEECH, SOUND, MUSIC); either list may be empty (a cue read from
    a file: unknown speakers, all speech). Neither takes part in equality: two cues are
    the same subtitle when they show the same text at the same time."""

    start: float
    end: float
    lines: list[str]
    speakers: list[str | None] = field(default_factory=list, compare=False)
    kinds: list[str] = field(default_factory=list, compare=False)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def speaker(self, k: int) -> str | None:
        """Who says line k (None: unknown, or not speech)."""
        return self.speakers[k] if k < len(self.speakers) else None

    def kind(self, k: int) -> str:
        """What line k is: SPEECH unless `kinds` says otherwise."""
        return self.kinds[k] if k < len(self.kinds) else SPEECH


def to_ms(seconds: float) -> int:
    """Seconds to whole milliseconds, rounding half up on the decimal value the
    user sees (so 2.0005 -> 2001 although 2.0005 * 1000 is 2000.4999...)."""
    if not math.isfinite(seconds):
        raise ValueError(f"timestamp is not a finite number: {seconds!r}")
    return int(Decimal(repr(float(seconds))).quantize(Decimal("0.001"), ROUND_HALF_UP) * 1000)
