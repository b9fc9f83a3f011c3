"""Subtitles from word timestamps: cues, formats, the checker, the hallucination filter.

    cues.py           SubtitleRules, Cue, segmentation and line breaking (build_cues)
    srt.py            SRT writing and reading (any encoding, hand-edited files)
    formats.py        WebVTT and ASS, and WRITERS: every format srt_generation writes
    checker.py        the rules a written file must pass (srt_generation, check-srt)
    hallucination.py  what Whisper says when nobody speaks, dropped

The names below are the package's public face, so callers need not know which
module holds what.
"""

from .checker import Report, check_cue_list, check_cues, check_file, reading_speed
from .cues import Cue, SubtitleRules, build_cues, layout_lines
from .formats import WRITERS, to_ass, to_vtt
from .srt import (
    SrtParseError,
    decode_subtitle_bytes,
    format_timestamp,
    parse_srt,
    read_srt,
    to_srt,
)

__all__ = [
    "WRITERS",
    "Cue",
    "Report",
    "SrtParseError",
    "SubtitleRules",
    "build_cues",
    "check_cue_list",
    "check_cues",
    "check_file",
    "decode_subtitle_bytes",
    "format_timestamp",
    "layout_lines",
    "parse_srt",
    "read_srt",
    "reading_speed",
    "to_ass",
    "to_srt",
    "to_vtt",
]
