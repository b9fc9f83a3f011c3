"""SRT: writing it, and reading it as people have it (any encoding, hand-edited)."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Sequence

from .rules import Cue, to_ms

__all__ = [
    "SrtParseError",
    "decode_subtitle_bytes",
    "format_timestamp",
    "parse_srt",
    "read_srt",
    "to_srt",
]


class SrtParseError(ValueError):
    """An SRT file that cannot be read; the message names the 1-based line to fix."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def format_timestamp(seconds: float) -> str:
    """SRT timestamp "HH:MM:SS,mmm"; negative times (ASR jitter at 0) clamp to zero."""
    ms = max(0, to_ms(seconds))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def to_srt(cues: Sequence[Cue]) -> str:
    """Serialise cues as SRT. Blank lines inside a cue are dropped because a
    blank line ends the cue for every SRT reader."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        lines = [line.rstrip() for line in cue.lines if line.strip()]
        timing = f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}"
        blocks.append("\n".join([str(number), timing, *lines]) + "\n")
    return "\n".join(blocks)


_TIMESTAMP = r"(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s.*)?$")
_INDEX = re.compile(r"^\d+$")


def _stamp_ms(h: str, m: str, s: str, frac: str) -> int:
    # "1,5" means 1.5 s: the digits are a decimal fraction, not a count of ms.
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0"))


def _parse_timing(line: str) -> tuple[int, int] | None:
    match = _TIMING.match(line)
    if match is None:
        return None
    g = match.groups()
    return _stamp_ms(*g[:4]), _stamp_ms(*g[4:])


def parse_srt(text: str) -> list[Cue]:
    """Read SRT as found in the wild (hand-edited, exported by various tools).

    Numbering is ignored, since it is often wrong; a cue is recognised by its
    timing line. Only what cannot be interpreted raises, naming the line.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[Cue] = []
    current: Cue | None = None  # the cue whose text lines are being read
    index_line: int | None = None  # line number of a cue number awaiting its timing line

    def start_cue(times: tuple[int, int]) -> Cue:
        cue = Cue(times[0] / 1000, times[1] / 1000, [])
        cues.append(cue)
        return cue

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if current is not None:
            if not line:
                current = None
                continue
            times = _parse_timing(line)
            if times is not None:  # missing blank line before this cue
                if current.lines and _INDEX.match(current.lines[-1]):
                    current.lines.pop()  # that was the next cue's number
                current = start_cue(times)
            elif "-->" in line and current.lines and _INDEX.match(current.lines[-1]):
                raise SrtParseError(f"cannot parse timing line {line!r}", number)
            else:
                current.lines.append(raw.rstrip())
            continue
        if not line:
            continue
        times = _parse_timing(line)
        if times is not None:
            current = start_cue(times)
            index_line = None
        elif "-->" in line:
            raise SrtParseError(f"cannot parse timing line {line!r}", number)
        elif index_line is None and _INDEX.match(line):
            index_line = number
        elif index_line is not None:
            raise SrtParseError(f"expected a timing line after cue number, got {line!r}", number)
        else:
            raise SrtParseError(f"text without a timing line: {line!r}", number)
    if index_line is not None:
        raise SrtParseError("cue number without a timing line", index_line)
    return cues


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_subtitle_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM decides; else UTF-8; else Windows-1252, the usual
    encoding of older Western subtitle files (which never fails to decode)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def read_srt(path: str | os.PathLike[str]) -> list[Cue]:
    with open(path, "rb") as fh:
        text, _ = decode_subtitle_bytes(fh.read())
    return parse_srt(text)
