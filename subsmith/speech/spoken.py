"""The language the words are in, and which Whisper model may transcribe it.

An English-only model (tiny.en, any *.en, distil-*) given German speech does not fail:
it writes English-sounding nonsense, and faster-whisper only logs "using 'en' instead".
So the model follows the language: `asr.model: auto` takes models.ENGLISH_DEFAULT (base,
bench/english_default.md) for English and the multilingual Whisper base for anything else,
an explicit English-only model with another language is refused (pre-flight, or per movie
once detected), and `language: auto` is detected by a multilingual model over several
speech windows spread through the movie, not the first 30 s, which are often music and
credits.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core import languages
from ..core.errors import StageError
from ..core.models import ENGLISH_DEFAULT, ENGLISH_MODEL, MULTILINGUAL_MODEL
from ..media.audio import SAMPLE_RATE

AUTO = "auto"
# Windows of speech the language is detected on, and how long each (Whisper's 30 s).
DETECT_WINDOWS = 5
WINDOW_SECONDS = 30.0
# A multilingual Whisper vocabulary has 51865 tokens or more; English-only ones 51864.
_MULTILINGUAL_VOCAB = 51865


def english_only(model: str) -> bool:
    """True for Whisper models that can only write English."""
    if model in (AUTO, MULTILINGUAL_MODEL):
        return False
    if model == ENGLISH_MODEL:
        return True
    folder = Path(model).expanduser()
    if folder.is_dir():
        return _vocabulary_size(folder) < _MULTILINGUAL_VOCAB
    name = os.path.basename(model.rstrip("/")).lower()
    return name.endswith(".en") or name.startswith("distil-")


def _vocabulary_size(folder: Path) -> int:
    import json

    if (folder / "vocabulary.json").is_file():
        return len(json.loads((folder / "vocabulary.json").read_text(encoding="utf-8")))
    if (folder / "vocabulary.txt").is_file():
        with open(folder / "vocabulary.txt", encoding="utf-8") as f:
            return sum(1 for _ in f)
    return _MULTILINGUAL_VOCAB  # unknown: let Whisper itself decide


def model_for(model: str, language: str | None) -> str:
    """The model that transcribes `language` (None: not known yet)."""
    if model != AUTO:
        return model
    return ENGLISH_DEFAULT if languages.same_language(language, "en") else MULTILINGUAL_MODEL


def detector_for(model: str) -> str:
    """The model that detects the language: the configured one when it is multilingual."""
    return MULTILINGUAL_MODEL if model == AUTO or english_only(model) else model


def refusal(model: str, language: str | None) -> str | None:
    """Why `model` must not transcribe `language`, naming the fix; None when it may."""
    if not language or language == AUTO:
        return None
    if languages.whisper_code(language) is None:
        return (
            f"language {language!r} is no language Whisper can transcribe; set `language` "
            "to the ISO 639-1 or 639-2 code of a language Whisper knows (de, deu or ger for "
            "German), or auto"
        )
    if languages.same_language(language, "en"):
        return None
    if english_only(model_for(model, language)):
        return (
            f"asr.model {model!r} is English-only and cannot transcribe "
            f"{languages.name(language)} ({language}); set asr.model: auto "
            f"(the multilingual {MULTILINGUAL_MODEL} for languages other than English) "
            "or another multilingual model"
        )
    return None


def speech_windows(
    regions: list[dict[str, float]], n: int = DETECT_WINDOWS, seconds: float = WINDOW_SECONDS
) -> list[list[tuple[float, float]]]:
    """Up to n windows of about `seconds` of speech each, centred at evenly spaced points
    of the movie's speech (by speech time, so a long silent stretch does not steal one)."""
    spans = [(r["start"], r["end"]) for r in regions if r["end"] > r["start"]]
    total = sum(e - s for s, e in spans)
    if not spans:
        return []
    if total <= n * seconds:  # little speech: whole windows one after the other
        starts = [k * seconds for k in range(int(np.ceil(total / seconds)))]
    else:
        starts = [total * (k + 0.5) / n - seconds / 2 for k in range(n)]
    windows = []
    for at in starts:
        window, done, need = [], 0.0, seconds
        for s, e in spans:
            length = e - s
            if done + length <= at:
                done += length
                continue
            a = s + max(0.0, at - done)
            b = min(e, a + need)
            window.append((a, b))
            need -= b - a
            done += length
            if need <= 1e-3:
                break
        if window:
            windows.append(window)
    return windows


def detect(
    model: Any,
    audio: Any,
    regions: list[dict[str, float]],
    *,
    n: int = DETECT_WINDOWS,
    seconds: float = WINDOW_SECONDS,
) -> dict[str, Any]:
    """The language most of several windows of speech spread through the movie are in.

    `audio` is 16 kHz mono samples or anything sliceable like them (asr.WavSlices), so
    only the windows are read from a movie's WAV."""
    found = []
    for window in speech_windows(regions, n, seconds):
        pieces = [audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in window]
        samples = np.concatenate(pieces).astype(np.float32, copy=False)
        if len(samples) < SAMPLE_RATE // 2:
            continue
        _, _, probs = model.detect_language(audio=samples)
        top, p = probs[0]
        found.append(
            {
                "start": round(window[0][0], 2),
                "end": round(window[-1][1], 2),
                "language": top,
                "probability": round(p, 3),
            }
        )
    if not found:
        raise StageError("no speech long enough to tell its language; set `language` in config")
    # Each window one vote (a confident English song over the credits is one window);
    # a tie goes to the language the windows were surer of.
    votes: dict[str, list[float]] = {}
    for w in found:
        votes.setdefault(w["language"], []).append(w["probability"])
    language = max(votes, key=lambda lang: (len(votes[lang]), sum(votes[lang])))
    return {
        "language": language,
        "probability": round(sum(votes[language]) / len(votes[language]), 3),
        "windows": found,
    }


def settle(
    model: str,
    language: str | None,
    regions: list[dict[str, float]],
    audio: Any,
    load: Callable[[str], Any],
) -> tuple[str | None, dict[str, Any] | None, str]:
    """(the words' language, the detection when it was detected, the model to transcribe
    with), or a StageError when the configured model cannot write that language.

    `load(name)` gives a loaded model (the asr stage caches them, so a movie detected with
    base and transcribed with base loads it once)."""
    detection = None
    if language is None and regions:
        detection = detect(load(detector_for(model)), audio, regions)
        language = detection["language"]
    refused = refusal(model, language)
    if refused:
        raise StageError(refused)
    # Whisper's own code ("jw" for Javanese, the config's "jv"); pre-flight refused codes
    # it does not know, so the fallback is only for a caller that skipped it.
    language = languages.whisper_code(language) or language
    return language, detection, model_for(model, language)
