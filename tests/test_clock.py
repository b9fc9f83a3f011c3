"""The movie's clock in every container: audio that starts after the picture is padded
by the measured offset, so words land when they are spoken on screen."""

import logging
from dataclasses import replace

import numpy as np
import pytest

from conftest import CONFIG
from subsmith import demo
from subsmith.media import probe as media
from subsmith.media.audio import read_wav
from subsmith.speech import asr
from subsmith.speech.vad import silero

LOG = logging.getLogger("test")
VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])
ASR = asr.AsrOptions.from_config(CONFIG["asr"])
LATE = 2.0  # the audio stream starts this long after the picture
LEAD = 0.3  # silence inside the audio stream before the first word
CONTAINERS = ["mkv", "mp4", "ts", "m2ts", "avi", "mpg", "webm", "mov"]


@pytest.fixture(scope="module")
def clip():
    speech = demo.trim(demo.speak("Good morning, Captain Reynolds. The ship is ready."))
    return np.concatenate([np.zeros(int(LEAD * demo.RATE), np.float32), speech])


def plain(word: str) -> str:
    return word.strip(" .,!?").lower()


def heard(model, audio) -> dict:
    """What the pipeline finds: VAD regions, then the words of the ASR over them."""
    regions = silero.detect_speech(audio, VAD, threads=2)
    result = asr.transcribe(
        model, audio, regions, replace(ASR, beam_size=1, batch_size=0), language="en"
    )
    words = [w for s in result["segments"] for w in s["words"]]
    return {"regions": regions, "words": words}


@pytest.fixture(scope="module")
def expected(clip, tiny_en):
    """The clip placed exactly LATE seconds into the movie, as the pipeline hears it."""
    return heard(tiny_en, np.concatenate([np.zeros(int(LATE * demo.RATE), np.float32), clip]))


@pytest.mark.parametrize("container", CONTAINERS)
def test_late_audio_is_on_the_movie_clock(container, clip, expected, tiny_en, tmp_path):
    movie = demo.make_movie(
        tmp_path / f"late.{container}",
        [{"audio": clip, "offset": LATE}],
        duration=LATE + len(clip) / demo.RATE + 0.5,
        # MP3 (AVI's usual codec) adds its encoder's 57 ms delay, which a player plays
        # too: a property of that codec, not of the clock tested here.
        audio_codec="pcm_s16le" if container == "avi" else None,
    )
    facts = media.demux(movie, tmp_path / "a.wav", None, LOG)
    # The offset is measured (AAC's priming makes it 64 ms short of LATE).
    assert facts["movie_clock_offset"] == pytest.approx(LATE, abs=0.1)
    audio = read_wav(tmp_path / "a.wav")
    onset = np.flatnonzero(np.abs(audio) > 0.05)[0] / demo.RATE
    assert onset == pytest.approx(LATE + LEAD, abs=0.02)
    found = heard(tiny_en, audio)
    assert len(found["regions"]) == len(expected["regions"])
    for got, want in zip(found["regions"], expected["regions"], strict=True):
        assert got["start"] == pytest.approx(want["start"], abs=0.1)
        assert got["end"] == pytest.approx(want["end"], abs=0.1)
    # A cue starts with its first word and ends with its last: both where they are
    # spoken (the words between may move by Whisper's own choice of where a pause goes).
    words, want = found["words"], expected["words"]
    assert len(words) >= 0.8 * len(want), (words, want)  # the same speech was heard
    assert plain(words[-1]["word"]) == plain(want[-1]["word"])
    assert round(abs(words[0]["start"] - want[0]["start"]), 3) <= 0.1
    assert round(abs(words[-1]["end"] - want[-1]["end"]), 3) <= 0.1
