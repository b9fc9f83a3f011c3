"""The words' language: model choice, refusal of English-only models, detection over
windows spread through the movie, and the multilingual model assembled from packages."""

import copy
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import CONFIG
from subsmith import demo
from subsmith.core import models
from subsmith.core.errors import StageError
from subsmith.harness import startup
from subsmith.speech import asr, spoken
from subsmith.speech.vad import silero

REPO = Path(__file__).resolve().parent.parent
VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])


def test_english_only_models_are_known():
    for name in ("tiny.en", "base.en", "medium.en", "distil-large-v3", "/models/small.en/"):
        assert spoken.english_only(name), name
    for name in ("auto", "base", "large-v3", "small"):
        assert not spoken.english_only(name), name
    # Local folders by their vocabulary (English-only Whisper has one token fewer).
    assert spoken.english_only(asr.resolve_model("tiny.en")[0])
    assert not spoken.english_only(str(models.whisper_base()))


def test_auto_picks_the_model_by_language():
    # English gets base, chosen by measured word errors (bench/english_default.md)
    assert spoken.model_for("auto", "en") == models.ENGLISH_DEFAULT == "base"
    assert spoken.model_for("auto", "eng") == "base"
    assert spoken.model_for("auto", "de") == "base"
    assert spoken.model_for("auto", None) == "base"
    assert spoken.model_for("large-v3", "en") == "large-v3"
    assert spoken.detector_for("tiny.en") == "base"
    assert spoken.detector_for("large-v3") == "large-v3"


def test_an_english_only_model_is_refused_for_another_language(tmp_path):
    assert spoken.refusal("tiny.en", "en") is None
    assert spoken.refusal("auto", "de") is None
    line = spoken.refusal("tiny.en", "de")
    assert "English-only" in line and "German" in line and "asr.model: auto" in line
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config = copy.deepcopy(config) | {"language": "de", "input_dir": str(tmp_path)}
    config["output_dir"] = str(tmp_path / "out")
    config["asr"]["model"] = "tiny.en"
    assert startup.check(config, {}) == [line]
    config["asr"]["model"] = "auto"
    assert startup.check(config, {}) == []


def test_windows_are_spread_through_the_movie():
    # Two hours with a minute of speech every ten minutes: five windows, one in each
    # fifth of the speech, none of them all from the first minutes.
    regions = [{"start": 600.0 * k + 5, "end": 600.0 * k + 65} for k in range(12)]
    windows = spoken.speech_windows(regions, n=5, seconds=30)
    assert len(windows) == 5
    starts = [w[0][0] for w in windows]
    assert starts == sorted(starts) and starts[0] > 60 and starts[-1] > 6000
    for w in windows:
        assert sum(b - a for a, b in w) == pytest.approx(30)
    # Little speech: consecutive windows cover all of it.
    short = spoken.speech_windows([{"start": 1.0, "end": 11.0}], n=5, seconds=30)
    assert short == [[(1.0, 11.0)]]


@pytest.fixture(scope="module")
def base_model():
    model, about = asr.load_model("base", "cpu", "int8", threads=2)
    assert "multilingual" in about["model"]
    return model


def test_language_is_detected_over_the_movie_not_its_opening(base_model):
    """An English opening (a song, credits) then a German film: German."""
    opening, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, gap=0.3, tail=0.3)
    film, _ = demo.dialogue(demo.GERMAN * 2, lead_in=0.3, gap=0.5, tail=0.3)
    audio = np.concatenate([opening, film])
    regions = silero.detect_speech(audio, VAD, threads=2)
    # What faster-whisper does by default (the first 30 s) hears the English first.
    first = audio[: int(5 * demo.RATE)]
    assert base_model.detect_language(audio=first)[0] == "en"
    # Windows of 8 s, not Whisper's 30 s, to keep the test short.
    found = spoken.detect(base_model, audio, regions, n=3, seconds=8)
    assert found["language"] == "de"
    assert [w["language"] for w in found["windows"]][0] == "en"
    assert len(found["windows"]) == 3


def test_models_are_assembled_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SUBSMITH_CACHE", str(tmp_path))
    # Two asr jobs needing it at once on a fresh machine: one copy wins, both use it.
    with ThreadPoolExecutor(2) as pool:
        folders = list(pool.map(lambda _: models.whisper_base(), range(2)))
    assert folders[0] == folders[1]
    folder = models.whisper_base()
    assert folder.parent == tmp_path
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.json"]
    stamp = os.stat(folder / "model.bin").st_mtime_ns
    assert models.whisper_base() == folder
    assert os.stat(folder / "model.bin").st_mtime_ns == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_movie_detected_as_german_is_refused_to_an_english_only_model(base_model):
    audio, _ = demo.dialogue(demo.GERMAN, lead_in=0.3, gap=0.5, tail=0.3)
    regions = silero.detect_speech(audio, VAD, threads=2)
    asked = []

    def load(name):
        asked.append(name)
        return base_model

    language, detection, model = spoken.settle("auto", None, regions, audio, load)
    assert (language, model, asked) == ("de", "base", ["base"])
    assert detection["windows"][0]["language"] == "de"
    with pytest.raises(StageError, match="'tiny.en' is English-only and cannot transcribe German"):
        spoken.settle("tiny.en", None, regions, audio, load)
    assert asked[-1] == "base"  # detected with the multilingual model, then refused
    assert spoken.settle("tiny.en", "en", regions, audio, load)[2] == "tiny.en"
