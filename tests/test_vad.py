"""subsmith.speech.vad.silero: the package's own model and regions, faster, from arrays and WAVs."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import CONFIG
from subsmith import demo
from subsmith.core.errors import StageError
from subsmith.media.audio import SAMPLE_RATE, read_wav
from subsmith.speech.vad import silero

VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])


def test_vad_finds_every_line_and_little_else(dialogue, regions):
    audio, refs = dialogue
    for ref in refs:
        covered = sum(
            max(0.0, min(r["end"], ref["end"]) - max(r["start"], ref["start"])) for r in regions
        )
        assert covered > 0.9 * (ref["end"] - ref["start"]), ref["text"]
    speech = sum(r["end"] - r["start"] for r in regions)
    spoken = sum(r["end"] - r["start"] for r in refs)
    assert speech < spoken + 0.5 * len(refs) + 1.0


def test_vad_finds_no_speech_in_silence_or_a_tone():
    silence = np.zeros(10 * demo.RATE, np.float32)
    t = np.arange(10 * demo.RATE) / demo.RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    assert silero.detect_speech(silence, VAD) == []
    assert silero.detect_speech(tone, VAD) == []


def test_vad_matches_the_package_and_streams_from_a_wav(dialogue, regions, tmp_path):
    """Our block loop over the sequence model gives the silero-vad package's own regions,
    from an array or a WAV read in blocks (blocks that do not line up with the 512-sample
    windows included)."""
    import silero_vad
    import torch

    audio, _ = dialogue
    audio = audio[: len(audio) - 123]  # a last, partial window
    stamps = silero_vad.get_speech_timestamps(
        torch.from_numpy(audio),
        silero_vad.load_silero_vad(onnx=True),
        threshold=0.5,
        sampling_rate=SAMPLE_RATE,
        min_speech_duration_ms=250,
        min_silence_duration_ms=300,
        speech_pad_ms=200,
    )
    expected = [
        {
            "start": round(s["start"] / SAMPLE_RATE, 3),
            "end": round(s["end"] / SAMPLE_RATE, 3),
        }
        for s in stamps
    ]
    found = silero.detect_speech(audio, VAD, threads=2)
    assert [{"start": r["start"], "end": r["end"]} for r in found] == expected
    # Each region carries Silero's highest probability in it: at least the threshold.
    assert all(0.5 <= r["peak"] <= 1.0 for r in found)
    wav = tmp_path / "a.wav"
    demo.write_wav(wav, audio)
    seen = []
    from_file = silero.detect_speech(wav, VAD, threads=2, progress=lambda f, d: seen.append(f))
    assert from_file == silero.detect_speech(read_wav(wav), VAD, threads=2)
    assert seen and seen[-1] > 0.99


def test_vad_probabilities_are_the_streaming_models(dialogue):
    """The sequence model, fed in blocks that split windows and calls that split blocks,
    gives the package's streaming model's probabilities window for window: the speed-up
    changes nothing the VAD decides."""
    import silero_vad
    import torch

    audio, _ = dialogue
    audio = audio[: len(audio) - 77]  # a last, partial window
    streaming = silero_vad.load_silero_vad(onnx=True)
    expected = streaming.audio_forward(torch.from_numpy(audio), SAMPLE_RATE).numpy()[0]
    block = 11_111  # samples: not a multiple of the 512-sample window
    blocks = (audio[i : i + block] for i in range(0, len(audio), block))
    got = silero.speech_probs(silero.silero_session(2), blocks, len(audio), max_frames=7)
    assert len(got) == len(expected) == -(-len(audio) // silero.WINDOW)
    assert np.abs(got - expected).max() < 1e-5
    assert (got >= 0.5).sum() > 100  # speech is there, so the comparison means something


def test_vad_refuses_a_wav_that_is_not_16k_mono(tmp_path):
    import soundfile

    wav = tmp_path / "stereo.wav"
    soundfile.write(str(wav), np.zeros((800, 2), np.float32), 8000)
    with pytest.raises(StageError, match="16 kHz mono"):
        silero.detect_speech(wav, VAD)


@pytest.mark.parametrize("seed", range(6))
def test_regions_from_probs_is_the_packages_post_processing(seed):
    """Random probability tracks (runs of speech and silence) and settings: our copy of
    silero-vad's get_speech_timestamps_from_probs gives its exact regions."""
    from silero_vad.utils_vad import get_speech_timestamps_from_probs

    rng = np.random.default_rng(seed)
    runs = rng.integers(1, 80, size=60)
    levels = rng.choice([0.05, 0.3, 0.4, 0.45, 0.55, 0.9], size=60)
    probs = [
        float(min(1.0, max(0.0, lv + rng.normal(0, 0.05))))
        for lv, r in zip(levels, runs, strict=True)
        for _ in range(r)
    ]
    n = len(probs) * silero.WINDOW - int(rng.integers(0, silero.WINDOW))
    settings = {
        "threshold": float(rng.choice([0.3, 0.5, 0.6])),
        "min_speech_ms": int(rng.choice([0, 250, 600])),
        "min_silence_ms": int(rng.choice([0, 100, 300, 1000])),
        "speech_pad_ms": int(rng.choice([0, 30, 200, 400])),
    }
    expected = get_speech_timestamps_from_probs(
        probs,
        sampling_rate=SAMPLE_RATE,
        threshold=settings["threshold"],
        min_speech_duration_ms=settings["min_speech_ms"],
        min_silence_duration_ms=settings["min_silence_ms"],
        speech_pad_ms=settings["speech_pad_ms"],
        audio_length_samples=n,
    )
    assert silero.regions_from_probs(probs, n, silero.VadOptions(**settings)) == expected
