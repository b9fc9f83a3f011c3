"""subsmith.subtitles.srt: SRT written, and read as people have it.

The malformed cases mirror the kinds in pysrt's test fixtures (BOMs in UTF-8/16/32,
Windows-1252 with CRLF, no cue numbers, an invalid cue, blank-only and empty files,
overlapping dialogue), written here by hand. pysrt's behaviour on each is the
reference: the same cues, or (for the invalid cue, where pysrt raises) a clear error.
"""

from __future__ import annotations

import codecs

import pysrt
import pytest
import srt

from cue_helpers import MONOLOGUE, RULES, speak
from subsmith.subtitles import (
    Cue,
    SrtParseError,
    build_cues,
    decode_subtitle_bytes,
    format_timestamp,
    parse_srt,
    read_srt,
    to_srt,
)

# --------------------------------------------------------- format_timestamp


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "00:00:00,000"),
        (1.2345, "00:00:01,235"),  # half up on the decimal value
        (2.0005, "00:00:02,001"),  # 2.0005 * 1000 is 2000.4999... in binary
        (59.9996, "00:01:00,000"),  # rounding carries into the minutes
        (3661.5, "01:01:01,500"),
        (36000 + 62.25, "10:01:02,250"),
        (123 * 3600.0, "123:00:00,000"),
        (-0.02, "00:00:00,000"),
    ],
)
def test_format_timestamp(seconds, expected):
    assert format_timestamp(seconds) == expected


# ---------------------------------------------------------------------- SRT


def sample_cues() -> list[Cue]:
    return [
        Cue(1.0, 3.5, ["Hello, world."]),
        Cue(3.6, 6.0126, ["Two lines,", "with àccents – and “quotes”."]),
        Cue(3600 * 10 + 1.001, 3600 * 10 + 2.999, ["Ten hours in."]),
    ]


def test_to_srt_format():
    out = to_srt(sample_cues()[:2])
    assert out == (
        "1\n00:00:01,000 --> 00:00:03,500\nHello, world.\n\n"
        "2\n00:00:03,600 --> 00:00:06,013\nTwo lines,\nwith àccents – and “quotes”.\n"
    )
    assert to_srt([]) == ""


def test_to_srt_is_read_identically_by_srt_and_pysrt():
    cues = build_cues(speak(MONOLOGUE, seed=1), RULES) + sample_cues()
    text = to_srt(cues)
    by_srt = list(srt.parse(text))
    by_pysrt = pysrt.from_string(text)
    assert len(by_srt) == len(by_pysrt) == len(cues)
    for cue, a, b in zip(cues, by_srt, by_pysrt, strict=True):
        start_ms, end_ms = round(cue.start * 1000), round(cue.end * 1000)
        assert a.content == b.text == cue.text
        assert round(a.start.total_seconds() * 1000) == b.start.ordinal == start_ms
        assert round(a.end.total_seconds() * 1000) == b.end.ordinal == end_ms


def test_parse_srt_round_trip():
    cues = build_cues(speak(MONOLOGUE, seed=2), RULES) + sample_cues()
    again = parse_srt(to_srt(cues))
    assert [c.lines for c in again] == [c.lines for c in cues]
    assert [(round(c.start * 1000), round(c.end * 1000)) for c in again] == [
        (round(c.start * 1000), round(c.end * 1000)) for c in cues
    ]
    assert to_srt(again) == to_srt(cues)


def test_parse_srt_matches_srt_library_on_its_own_output():
    subs = [
        srt.Subtitle(1, srt.timedelta(seconds=1.5), srt.timedelta(seconds=2.25), "A\nB"),
        srt.Subtitle(2, srt.timedelta(seconds=61), srt.timedelta(seconds=62.001), "C"),
    ]
    cues = parse_srt(srt.compose(subs))
    assert [(c.start, c.end, c.text) for c in cues] == [(1.5, 2.25, "A\nB"), (61.0, 62.001, "C")]


def test_parse_srt_tolerates_real_world_mess():
    messy = (
        "\ufeff\r\n\r\n"
        "7\r\n"
        "00:00:01.000 --> 00:00:02,500  X1:40 X2:600 Y1:20 Y2:50\r\n"
        "First line   \r\n"
        "second line\r\n"
        "3\r\n"  # missing blank line, wrong number
        "0:00:03,000-->0:00:04,000\r\n"
        "Next\r\n"
        "\r\n\r\n\r\n"
        "00:00:05,000 --> 00:00:06,000\r\n"  # no number at all
        "42\r\n"  # a number that is text (no timing line follows)
        "\r\n"
    )
    cues = parse_srt(messy)
    assert [(c.start, c.end, c.lines) for c in cues] == [
        (1.0, 2.5, ["First line", "second line"]),
        (3.0, 4.0, ["Next"]),
        (5.0, 6.0, ["42"]),
    ]
    assert parse_srt(messy.replace("\r\n", "\r")) == cues
    assert parse_srt(messy.replace("\r\n", "\n")) == cues


def test_parse_srt_empty():
    assert parse_srt("") == []
    assert parse_srt("\ufeff\n\n  \n") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:0x,000 --> soon\nbad\n", 6),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n2\n00:00:03 --> 00:00:04\nbad\n", 5),
        ("\n\nJust some text\n", 3),
        ("1\nHello\n", 2),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n", 5),
    ],
)
def test_parse_srt_errors_name_the_line(text, line):
    with pytest.raises(SrtParseError, match=rf"^line {line}: ") as info:
        parse_srt(text)
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------ files in the wild

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
