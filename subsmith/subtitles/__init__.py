"""Subtitles from word timestamps: cues, formats, the checker, the hallucination filter.

    rules.py          SubtitleRules and Cue (lines with their speaker and kind), shared here
    text.py           words joined as the decoder spelled them; where sentences end
    layout.py         line breaking (layout_lines)
    dialogue.py       where a speaker change shows (settle_turns), the dash and labels
    cues.py           words to cues: tokens, segmentation (compose, build_cues)
    timing.py         cue times within the hard rules by construction
    srt.py            SRT writing and reading (any encoding, hand-edited files)
    formats.py        WebVTT and ASS, and WRITERS: every format srt_generation writes,
                      each showing a line's speaker its own way (dash, <v>, Name)
    checker.py        the rules a written file must pass (srt_generation, check-srt)
    sdh.py            the SDH subtitle: the dialogue plus sound tags, placed and styled
    hallucination.py  what Whisper says when nobody speaks, dropped

The names below are the package's public face, so callers need not know which
module holds what.
"""

from .checker import Report, check_cue_list, check_cues, check_file, reading_speed
from .cues import Composed, Cue, SubtitleRules, build_cues, compose, layout_lines
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
    "Composed",
    "Cue",
    "Report",
    "SrtParseError",
    "SubtitleRules",
    "build_cues",
    "check_cue_list",
    "check_cues",
    "check_file",
    "compose",
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
