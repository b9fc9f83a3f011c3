"""demux/mux against the real ffmpeg, on generated movies."""

import hashlib
import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import subtitle_text
from subsmith import demo
from subsmith.core.errors import StageError
from subsmith.media import mux as mux_module
from subsmith.media import probe as media
from subsmith.media import tracks
from subsmith.media.audio import read_wav

LOG = logging.getLogger("test")
SRT = "1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n"


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * demo.RATE)) / demo.RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def streams(path: Path) -> list[dict]:
    return media.probe(path)["streams"]


def stream_md5(path: Path, index: int) -> str:
    """MD5 of one stream's packets, as ffmpeg copies them (no decoding)."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            f"file:{path}",
            "-map",
            f"0:{index}",
            "-c",
            "copy",
            "-f",
            "md5",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return hashlib.sha1(out.encode()).hexdigest()


def test_demux_picks_the_configured_language(tmp_path):
    movie = demo.make_movie(
        tmp_path / "two tracks.mkv",
        [
            {"audio": tone(3, 440), "language": "fre", "default": True},
            {"audio": tone(3, 1000), "language": "eng"},
        ],
    )
    streams = media.audio_streams(media.probe(movie))
    assert tracks.choose(streams).stream["tags"]["language"] == "fre"  # the default one
    assert tracks.choose(streams, "en").stream["tags"]["language"] == "eng"
    assert tracks.choose(streams, "eng").index == 2
    with pytest.raises(StageError, match="no audio stream in 'de'"):
        tracks.choose(streams, "de")
    facts = media.demux(movie, tmp_path / "a.wav", "en", LOG)
    assert facts["audio_stream"]["language"] == "eng"
    audio = read_wav(tmp_path / "a.wav")
    # The English track is the 1 kHz tone: its spectrum peaks there.
    spectrum = np.abs(np.fft.rfft(audio[: demo.RATE]))
    assert abs(np.argmax(spectrum) - 1000) < 5


def test_demux_puts_late_audio_on_the_movie_clock(tmp_path):
    movie = demo.make_movie(
        tmp_path / "late audio.mkv", [{"audio": tone(2.0), "offset": 2.0}], duration=5.0
    )
    facts = media.demux(movie, tmp_path / "a.wav", None, LOG)
    # AAC's encoder priming (1024 samples) shifts the stream's start a little earlier
    # than its first audible sample; the decoded audio below is what must be exact.
    assert facts["movie_clock_offset"] == pytest.approx(2.0, abs=0.1)
    audio = read_wav(tmp_path / "a.wav")
    loud = np.flatnonzero(np.abs(audio) > 0.1)
    assert loud[0] / demo.RATE == pytest.approx(2.0, abs=0.05)
    assert loud[-1] / demo.RATE == pytest.approx(4.0, abs=0.05)


def test_bad_inputs_give_one_clear_line(tmp_path):
    empty = tmp_path / "empty.mkv"
    empty.write_bytes(b"")
    text = tmp_path / "text.mkv"
    text.write_text("this is not a movie\n" * 50)
    silent_video = demo.make_movie(tmp_path / "no audio.mp4", [{"audio": tone(1)}], video=True)
    no_audio = tmp_path / "video only.mkv"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            f"file:{silent_video}",
            "-map",
            "0:v",
            "-c",
            "copy",
            f"file:{no_audio}",
        ],
        check=True,
    )
    cases = {
        empty: "empty \\(0 bytes\\)",
        text: "ffprobe cannot read this file as a movie",
        no_audio: "no audio stream",
    }
    for path, pattern in cases.items():
        with pytest.raises(StageError, match=pattern) as err:
            media.demux(path, tmp_path / "a.wav", None, LOG)
        assert "\n" not in str(err.value)
        if path != no_audio:
            assert str(path) in str(err.value)


def test_truncated_movie_is_detected(tmp_path, short_dialogue):
    audio, _ = short_dialogue
    long_audio = np.concatenate([audio] * 4)
    movie = demo.make_movie(tmp_path / "full.mkv", [{"audio": long_audio}])
    data = movie.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(StageError, match="truncated|cannot"):
        media.demux(cut, tmp_path / "a.wav", None, LOG)


@pytest.mark.parametrize("container", ["mkv", "mp4"])
def test_mux_copies_every_stream_and_adds_one_subtitle(tmp_path, container):
    src = demo.make_movie(
        tmp_path / f"in put.{container}",
        [
            {"audio": tone(3), "language": "eng", "default": True},
            {"audio": tone(3, 600), "language": "ger"},
        ],
        subtitle_srt=SRT,
    )
    srt = tmp_path / "new.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:02,000\nGood morning, Captain.\n\n")
    out = tmp_path / "final.mkv"
    result = mux_module.mux(
        src,
        srt,
        out,
        language="en",
        title="English (subsmith)",
        default=True,
        forced=False,
        log=LOG,
    )
    before, after = streams(src), streams(out)
    assert result["streams_copied"] == len(before)
    assert len(after) == len(before) + 1
    for s in before:
        assert (
            stream_md5(out, s["index"]) == stream_md5(src, s["index"])
            or s["codec_type"] == "subtitle"
        )
    new = after[-1]
    assert new["codec_type"] == "subtitle" and new["codec_name"] == "subrip"
    assert new["tags"]["language"] == "eng" and new["tags"]["title"] == "English (subsmith)"
    assert new["disposition"]["default"] == 1
    old_sub = [s for s in after[:-1] if s["codec_type"] == "subtitle"]
    assert len(old_sub) == 1 and old_sub[0]["disposition"]["default"] == 0
    text = subtitle_text(out, new["index"])
    assert "Good morning, Captain." in text
