"""The subtitle formats srt_generation writes: SRT, WebVTT and ASS, by name.

Each writer shows a cue line's speaker its own way: SRT as the lines hold it (the
dialogue dash of a shared cue, subtitles/dialogue.py), WebVTT as a voice span
(`<v SPEAKER_00>Hello.`, the dash dropped: the player shows who speaks), ASS in the
event's Name field. Sound and music lines (Cue.kinds) are written as their text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .dialogue import undashed
from .rules import SPEECH, Cue
from .srt import to_srt


def _vtt_time(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _voice(name: str) -> str:
    """A speaker name fit for a WebVTT `<v>` tag (no '<', '>' or '&' in its annotation)."""
    return " ".join(name.replace("<", "(").replace(">", ")").replace("&", "+").split())


def _vtt_lines(cue: Cue) -> list[str]:
    """The cue's lines, each speech line with a known speaker in a voice span."""
    shared = len({cue.speaker(k) for k in range(len(cue.lines))}) > 1
    out = []
    for k, line in enumerate(cue.lines):
        if not line.strip():
            continue
        text = line.replace("-->", "- ->")
        who = cue.speaker(k)
        if who is not None and cue.kind(k) == SPEECH and _voice(who):
            text = f"<v {_voice(who)}>{undashed(text) if shared else text}"
        out.append(text)
    return out


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT: the same cues, a voice span naming each line's speaker where it is known;
    '-->' may not appear in cue text, so it is spaced out."""
    out = ["WEBVTT", ""]
    for cue in cues:
        out.append(f"{_vtt_time(cue.start)} --> {_vtt_time(cue.end)}")
        out.extend(_vtt_lines(cue))
        out.append("")
    return "\n".join(out)


def _ass_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6000)
    s, cs = divmod(rest, 100)
    return f"{h:d}:{m:02d}:{s:02d}.{cs:02d}"


_ASS_HEADER = """[Script Info]
ScriptType: v4.00+
PlayResX: 1920
PlayResY: 1080
WrapStyle: 2
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,64,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,3,1,2,96,96,60,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def to_ass(cues: Sequence[Cue]) -> str:
    """ASS (Advanced SubStation): white text, black outline, bottom centre, our line
    breaks kept (\\N) and automatic wrapping off (WrapStyle 2)."""
    lines = [_ASS_HEADER.rstrip("\n")]
    for cue in cues:
        text = r"\N".join(
            line.replace("\\", "\\\\").replace("{", "(").replace("}", ")") for line in cue.lines
        )
        who = {cue.speaker(k) for k in range(len(cue.lines))}
        name = (who.pop() or "").replace(",", " ") if len(who) == 1 else ""
        lines.append(
            f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,{name},0,0,0,,{text}"
        )
    return "\n".join(lines) + "\n"


# The `srt_generation.formats` config names: each writes the whole file's text.
WRITERS: dict[str, Callable[[Sequence[Cue]], str]] = {"srt": to_srt, "vtt": to_vtt, "ass": to_ass}
