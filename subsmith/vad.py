"""Speech regions with the silero-vad package's own model (ONNX, offline)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import StageError

SAMPLE_RATE = 16000


def read_wav(path: str | os.PathLike[str]) -> np.ndarray:
    """16 kHz mono float32 samples (soundfile: torchaudio's decoders are not used here)."""
    import soundfile

    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=False)
    if rate != SAMPLE_RATE or audio.ndim != 1:
        raise StageError(f"{path}: expected 16 kHz mono audio from demux, got {rate} Hz")
    return audio


def detect_speech(
    audio: np.ndarray,
    *,
    threshold: float = 0.5,
    min_speech_ms: int = 250,
    min_silence_ms: int = 300,
    speech_pad_ms: int = 200,
    threads: int = 1,
    progress: Callable[[float, str], None] | None = None,
) -> list[dict[str, float]]:
    """Speech regions in seconds: [{"start": s, "end": s}, ...] in time order."""
    import torch

    before = torch.get_num_threads()
    import silero_vad  # sets torch to 1 thread at import: restore what the job was given

    torch.set_num_threads(max(1, threads or before))
    model = silero_vad.load_silero_vad(onnx=True)
    total = len(audio) / SAMPLE_RATE

    def on_progress(percent: float) -> None:
        if progress:
            progress(percent / 100.0, f"{percent * total / 100:.0f} of {total:.0f} s")

    stamps = silero_vad.get_speech_timestamps(
        torch.from_numpy(audio),
        model,
        threshold=threshold,
        sampling_rate=SAMPLE_RATE,
        min_speech_duration_ms=min_speech_ms,
        min_silence_duration_ms=min_silence_ms,
        speech_pad_ms=speech_pad_ms,
        progress_tracking_callback=on_progress,
    )
    return [
        {"start": round(s["start"] / SAMPLE_RATE, 3), "end": round(s["end"] / SAMPLE_RATE, 3)}
        for s in stamps
    ]


def summary(regions: list[dict[str, float]], duration: float) -> dict[str, Any]:
    speech = sum(r["end"] - r["start"] for r in regions)
    return {
        "sample_rate": SAMPLE_RATE,
        "duration": round(duration, 3),
        "speech_seconds": round(speech, 3),
        "speech": regions,
    }
