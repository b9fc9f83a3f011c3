"""What the stages left in out/<movie>/, read once for the report.

A file the report needs and cannot parse is an error naming the file (the stage then
records `skipped` with that line and writes a placeholder page); a file an optional
stage skipped (`"status": "skipped"`) is read as "nothing known", as the stages after
it read it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import StageError
from ..subtitles.cues import Cue
from ..subtitles.srt import read_srt

LOUDNESS_STEP = 0.5  # seconds per loudness value: 14,400 values for a 2-hour film
SILENT_DB = -90.0  # the floor of the loudness curve (digital silence)


@dataclass
class MovieFiles:
    """The files the report reads; the stage passes its rule's inputs, other callers
    the usual layout under the movie's folder (`MovieFiles.under`)."""

    movie_dir: Path
    srt: Path | None
    wav: Path | None = None
    media: Path | None = None
    silero: Path | None = None
    speakers: Path | None = None
    transcript: Path | None = None
    corrected: Path | None = None

    @classmethod
    def under(cls, movie_dir: str | os.PathLike[str], srt: str | None = None) -> MovieFiles:
        d = Path(movie_dir)
        if srt is None:
            found = sorted(d.glob("*.srt")) or sorted((d / "subtitles").glob("*.srt"))
            srt = str(found[0]) if found else None
        return cls(
            movie_dir=d,
            srt=Path(srt) if srt else None,
            wav=d / "audio" / "audio.wav",
            media=d / "media.json",
            silero=d / "vad" / "silero_segments.json",
            speakers=d / "diarization" / "speakers.json",
            transcript=d / "asr" / "transcript.json",
            corrected=d / "asr" / "transcript.corrected.json",
        )


@dataclass
class Movie:
    """One movie's facts, as the stages wrote them."""

    name: str
    movie_dir: Path
    duration: float
    media: dict[str, Any]
    speech: list[dict[str, float]]  # Silero's regions
    diarization: dict[str, Any]  # speakers.json (status, num_speakers, turns)
    transcript: dict[str, Any]  # post_ner's corrected transcript when it ran, else asr's
    corrections: list[dict[str, Any]]
    cues: list[Cue]
    steps: dict[str, Any]  # the manifest's steps, as rendered when the report ran
    loudness: list[float] = field(default_factory=list)  # dBFS per LOUDNESS_STEP

    @property
    def words(self) -> list[dict[str, Any]]:
        return [w for s in self.transcript.get("segments") or [] for w in s.get("words") or []]

    @property
    def turns(self) -> list[dict[str, Any]]:
        if self.diarization.get("status", "success") != "success":
            return []
        return list(self.diarization.get("turns") or [])


def read_strict(path: Path | None, *, optional: bool = False) -> dict[str, Any]:
    """A JSON object from `path`; a missing optional file is {}; anything else that is not
    a JSON object is a StageError naming the file."""
    if path is None or (optional and not path.exists()):
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StageError(f"{path}: cannot read it ({' '.join(str(exc).split())})") from exc
    if not isinstance(data, dict):
        raise StageError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def loudness(path: Path, step: float = LOUDNESS_STEP) -> list[float]:
    """RMS level in dBFS per `step` seconds, a block of the WAV at a time (a 2-hour film's
    audio is never held whole: the block is a whole number of steps)."""
    import numpy as np

    from ..media.audio import SAMPLE_RATE, wav_blocks

    hop = int(step * SAMPLE_RATE)
    _, blocks = wav_blocks(path, seconds=step * max(1, int(60 / step)))
    levels: list[float] = []
    for block in blocks:
        n = len(block) // hop
        if n:
            frames = block[: n * hop].reshape(n, hop).astype(np.float64)
            levels.extend(np.sqrt((frames**2).mean(axis=1)).tolist())
        if len(block) % hop:
            rest = block[n * hop :].astype(np.float64)
            levels.append(float(np.sqrt((rest**2).mean())))
    return [round(max(SILENT_DB, 20 * math.log10(v)) if v > 0 else SILENT_DB, 1) for v in levels]


def load(files: MovieFiles, steps: dict[str, Any] | None = None) -> Movie:
    """Everything the page shows. A corrupt transcript, segment or subtitle file raises."""
    media = read_strict(files.media, optional=True)
    silero = read_strict(files.silero)
    plain = read_strict(files.transcript)
    corrected = read_strict(files.corrected, optional=True)
    transcript = corrected if "segments" in corrected else plain
    if not isinstance(transcript.get("segments"), list):
        raise StageError(f"{files.transcript}: no segments list in the transcript")
    diar = read_strict(files.speakers, optional=True)
    cues = read_srt(files.srt) if files.srt and files.srt.exists() else []
    level = loudness(files.wav) if files.wav and files.wav.exists() else []
    duration = _duration(media, silero, level, cues)
    if steps is None:
        from ..harness.manifest import render

        steps = render(files.movie_dir)["pipeline"]["steps"]
    return Movie(
        name=files.movie_dir.name,
        movie_dir=files.movie_dir,
        duration=duration,
        media=media,
        speech=list(silero.get("speech") or []),
        diarization=diar,
        transcript={**plain, **transcript} if transcript is corrected else plain,
        corrections=list(corrected.get("corrections") or []),
        cues=cues,
        steps=steps,
        loudness=level,
    )


def _duration(
    media: dict[str, Any], silero: dict[str, Any], level: list[float], cues: list[Cue]
) -> float:
    """The movie's length: the WAV's (on the movie's clock), else what is known."""
    for value in (
        (media.get("wav") or {}).get("duration"),
        silero.get("duration"),
        (media.get("format") or {}).get("duration"),
    ):
        try:
            if value is not None and float(value) > 0:
                return float(value)
        except (TypeError, ValueError):
            continue
    return max([len(level) * LOUDNESS_STEP, *(c.end for c in cues), 1.0])
