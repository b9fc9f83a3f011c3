"""subsmith.subtitles.formats: WebVTT and ASS, read back by ffmpeg."""

from __future__ import annotations

import subprocess

from subsmith.subtitles import (
    Cue,
    to_ass,
    to_vtt,
)

CUES = [Cue(1.0, 2.5, ["Hello --> there"]), Cue(3661.25, 3663.0, ["Two", "lines {x}"])]


def test_webvtt():
    vtt = to_vtt(CUES)
    lines = vtt.splitlines()
    assert lines[0] == "WEBVTT" and lines[1] == ""
    assert "00:00:01.000 --> 00:00:02.500" in lines
    assert "01:01:01.250 --> 01:01:03.000" in lines
    assert "Hello - -> there" in lines  # '-->' may not appear in a cue's text


def test_ass():
    ass = to_ass(CUES)
    assert ass.startswith("[Script Info]") and "[Events]" in ass
    dialogue = [ln for ln in ass.splitlines() if ln.startswith("Dialogue:")]
    assert dialogue[0] == "Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,Hello --> there"
    assert dialogue[1].endswith(r"Two\Nlines (x)")  # no override blocks from our text


def test_ffmpeg_reads_our_vtt_and_ass(tmp_path):
    for name, text in (("s.vtt", to_vtt(CUES)), ("s.ass", to_ass(CUES))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out = subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f"file:{path}", "-f", "srt", "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Two" in out and "00:00:01,000 --> 00:00:02,500" in out


def test_each_writer_shows_the_speaker_its_own_way():
    """SRT keeps the dialogue dash of a shared cue; WebVTT names each line's speaker in a
    voice span and drops the dash; ASS puts a cue's one speaker in Name. A sound line is
    written as its text, in no voice."""
    from subsmith.subtitles import to_srt
    from subsmith.subtitles.rules import SOUND, SPEECH

    shared = Cue(1.0, 2.5, ["- Are you ready?", "- Yes, I am."], ["S0", "S1"])
    alone = Cue(3.0, 4.0, ["- minus two is less."], ["S0"])
    sound = Cue(5.0, 6.0, ["[phone ringing]", "Hello?"], [None, "S1"], [SOUND, SPEECH])
    cues = [shared, alone, sound]
    assert "- Are you ready?\n- Yes, I am." in to_srt(cues)
    vtt = to_vtt(cues).splitlines()
    assert "<v S0>Are you ready?" in vtt and "<v S1>Yes, I am." in vtt
    assert "<v S0>- minus two is less." in vtt  # one speaker: the text is as said
    assert "[phone ringing]" in vtt and "<v S1>Hello?" in vtt
    names = [ln.split(",")[4] for ln in to_ass(cues).splitlines() if ln.startswith("Dialogue:")]
    assert names == ["", "S0", ""]
