"""Dialogue from surround tracks: the centre channel of a loud 5.1 mix, stereo unchanged."""

import logging
import subprocess

import numpy as np
import pytest

from conftest import CONFIG
from subsmith import demo
from subsmith.media import probe as media
from subsmith.media.audio import read_wav, wav_rms
from subsmith.speech import asr
from subsmith.speech.vad import silero

LOG = logging.getLogger("test")
VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])
ASR = asr.AsrOptions.from_config(CONFIG["asr"])
# Each of the five non-centre channels carries a score twice as loud (RMS) as the speech.
LOUD = 0.2


def wer(model, wav, refs) -> float:
    """Word error rate of the pipeline's path (VAD regions, then ASR) on a demuxed WAV."""
    return demo.heard_wer(model, read_wav(wav), " ".join(r["text"] for r in refs), VAD, ASR)[0]


@pytest.fixture(scope="module")
def loud_movie(tmp_path_factory, short_dialogue):
    audio, _ = short_dialogue
    path = tmp_path_factory.mktemp("surround") / "loud 5.1.mkv"
    track = {"audio": demo.surround(audio, LOUD), "layout": "5.1", "language": "eng"}
    return demo.make_movie(path, [track], video=False)


def test_loud_51_mix_is_transcribed_from_its_centre_channel(
    loud_movie, short_dialogue, tiny_en, tmp_path
):
    _, refs = short_dialogue
    facts = media.demux(loud_movie, tmp_path / "auto.wav", "en", LOG)
    assert facts["audio_stream"]["layout"] == "5.1"
    assert facts["audio_stream"]["downmix"] == "centre channel"
    assert wer(tiny_en, tmp_path / "auto.wav", refs) < 0.15
    # Every channel downmixed (what demux did before): the score buries the words.
    media.demux(loud_movie, tmp_path / "all.wav", "en", LOG, downmix="all")
    assert wer(tiny_en, tmp_path / "all.wav", refs) > 0.5


def test_a_silent_centre_falls_back_to_every_channel(short_dialogue, tmp_path):
    """An upmix with nothing in the centre: the dialogue is in the front pair."""
    audio, refs = short_dialogue
    mix = np.zeros((len(audio), 6), np.float32)
    mix[:, 0] = mix[:, 1] = audio
    movie = demo.make_movie(tmp_path / "m.mkv", [{"audio": mix, "layout": "5.1"}], video=False)
    facts = media.demux(movie, tmp_path / "a.wav", None, LOG)
    assert facts["audio_stream"]["downmix"] == "all channels (the centre channel is silent)"
    regions = silero.detect_speech(read_wav(tmp_path / "a.wav"), VAD, threads=2)
    assert regions and regions[0]["start"] == pytest.approx(refs[0]["start"], abs=0.3)
    # Asked for the centre alone, it is taken as asked (and is silent).
    facts = media.demux(movie, tmp_path / "c.wav", None, LOG, downmix="center")
    assert facts["audio_stream"]["downmix"] == "centre channel"
    assert wav_rms(tmp_path / "c.wav") < media.SILENT_RMS


def test_stereo_is_downmixed_exactly_as_ffmpeg_does(short_dialogue, tiny_en, tmp_path):
    """No centre channel: every channel, ffmpeg's own downmix, the same samples as a
    plain `ffmpeg -ac 1` (so a stereo movie cannot get worse)."""
    audio, refs = short_dialogue
    stereo = np.stack([audio + 0.05 * demo.score(len(audio) / demo.RATE, 1), audio], axis=1)
    movie = demo.make_movie(tmp_path / "stereo.mkv", [{"audio": stereo}], video=False)
    facts = media.demux(movie, tmp_path / "a.wav", "en", LOG)
    assert facts["audio_stream"]["downmix"] == "all channels"
    plain = tmp_path / "plain.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f"file:{movie}", "-ac", "1"]
        + ["-ar", "16000", "-c:a", "pcm_s16le", f"file:{plain}"],
        check=True,
    )
    assert np.array_equal(read_wav(tmp_path / "a.wav"), read_wav(plain))
    assert wer(tiny_en, tmp_path / "a.wav", refs) < 0.15
