"""Reading SRT files as found in the wild, and the WebVTT / ASS writers.

The malformed cases mirror the kinds in pysrt's test fixtures (BOMs in UTF-8/16/32,
Windows-1252 with CRLF, no cue numbers, an invalid cue, blank-only and empty files,
overlapping dialogue), written here by hand. pysrt's behaviour on each is the
reference: the same cues, or (for the invalid cue, where pysrt raises) a clear error.
"""

import codecs
import subprocess
import sys
from pathlib import Path

import pysrt
import pytest

from subsmith.subtitles import (
    Cue,
    SrtParseError,
    decode_subtitle_bytes,
    parse_srt,
    read_srt,
    to_ass,
    to_vtt,
)

GOOD = (
    "1\n00:00:01,000 --> 00:00:02,500\nCafé crème, s'il vous plaît.\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\n<i>Deux</i> lignes\nici\n\n"
)


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
)
def test_byte_order_marks(tmp_path, encoding):
    bom = {
        "utf-8-sig": b"",
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }[encoding]
    path = tmp_path / "bom.srt"
    path.write_bytes(bom + GOOD.encode(encoding))
    cues = read_srt(path)
    assert [c.text for c in cues] == ["Café crème, s'il vous plaît.", "<i>Deux</i> lignes\nici"]
    assert len(pysrt.open(str(path))) == 2


def test_windows_1252_with_crlf(tmp_path):
    path = tmp_path / "w.srt"
    path.write_bytes(GOOD.replace("\n", "\r\n").encode("cp1252"))
    text, enc = decode_subtitle_bytes(path.read_bytes())
    assert enc == "cp1252"
    cues = read_srt(path)
    ref = pysrt.open(str(path), encoding="windows-1252")
    assert [c.text for c in cues] == [r.text for r in ref]
    assert [round(c.start * 1000) for c in cues] == [r.start.ordinal for r in ref]


def test_cues_without_numbers():
    text = (
        "00:00:06,500 --> 00:00:09,000\nFirst cue\nsecond line\n\n"
        "00:00:11,000 --> 00:00:17,000\nSecond cue\n"
    )
    cues = parse_srt(text)
    ref = pysrt.from_string(text)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (r.start.ordinal / 1000, r.end.ordinal / 1000, r.text) for r in ref
    ]


def test_invalid_cue_is_a_clear_error_like_pysrt():
    text = "foobar\n00:00:01 --> 00:00:10\nThis subtitle is invalid\n\n"
    with pytest.raises(pysrt.Error):
        pysrt.from_string(text, error_handling=pysrt.SubRipFile.ERROR_RAISE)
    with pytest.raises(SrtParseError, match=r"^line 1: "):
        parse_srt(text)


def test_empty_and_blank_files():
    assert parse_srt("") == [] and parse_srt("\n" * 20) == []
    assert len(pysrt.from_string("\n" * 20)) == 0


def test_overlapping_dialogue_is_read_as_is():
    text = "1\n00:00:01,000 --> 00:00:05,000\n- A\n\n2\n00:00:02,000 --> 00:00:03,000\n- B\n"
    assert [(c.start, c.end) for c in parse_srt(text)] == [(1.0, 5.0), (2.0, 3.0)]


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
