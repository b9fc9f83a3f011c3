"""Speech regions with the silero-vad package's own model (ONNX, offline).

The package ships its model twice: the streaming export its `get_speech_timestamps`
runs one 512-sample window per call, and a "sequence" export (silero-vad >= 6.2.1,
SileroVADSequence) that runs hundreds of windows per call with the same weights and
gives bit-identical probabilities. We run the sequence one: one call per window was
half of the VAD stage's time (bench/analysis.md, the paragraph on the sequence export).
The session is made straight with onnxruntime (no torch: importing the package costs
~1.5 s and ~200 MB for torch) and, given a WAV path, the audio is read from disk in
blocks, so memory stays flat however long the movie is. `regions_from_probs` is the package's
`get_speech_timestamps_from_probs` for our settings (no maximum speech length); tests
check that the regions are the package's streaming `get_speech_timestamps` regions
exactly.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...core.errors import StageError
from ...core.settings import options
from ...media.audio import BLOCK_SECONDS, SAMPLE_RATE, wav_blocks

WINDOW = 512  # samples per Silero window at 16 kHz
CONTEXT = 64  # samples of the previous window the model sees
MODEL_FILE = "silero_vad_16k_sequence.onnx"
MAX_FRAMES = 512  # windows per model call (~16 s), SileroVADSequence's default


@dataclass(frozen=True)
class VadOptions:
    """The `silero_vad:` config section: how speech probabilities become regions."""

    threshold: float  # a window is speech from this probability on
    min_speech_ms: int  # shorter speech is dropped
    min_silence_ms: int  # shorter silence does not end a region
    speech_pad_ms: int  # added on both sides of each region

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> VadOptions:
        return options(cls, cfg, "silero_vad")


def model_path() -> Path:
    """The silero-vad package's sequence ONNX model file, found without importing the
    package (importing it pulls in torch: ~1.5 s and ~200 MB)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise StageError("the silero-vad package is not installed; run `make install`")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / MODEL_FILE
    if not path.exists():
        raise StageError(
            f"Silero VAD model {path} is missing; silero-vad >= 6.2.1 ships it (run `make install`)"
        )
    return path


def silero_session(threads: int = 1) -> Any:
    """The package's sequence model in an onnxruntime session like its SileroVADSequence
    makes, except that it uses the rule's threads (two intra-op threads ran the 10.8-min
    bench track in ~0.93 s against ~1.2 s on one; the probabilities do not change)."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = max(1, threads)
    return onnxruntime.InferenceSession(
        str(model_path()), providers=["CPUExecutionProvider"], sess_options=opts
    )


def speech_probs(
    session: Any,
    blocks: Iterable[np.ndarray],
    total: int,
    progress: Callable[[int], None] | None = None,
    max_frames: int = MAX_FRAMES,
) -> np.ndarray:
    """Silero's speech probability of every 512-sample window, the last one zero-padded.

    Each window is prefixed with the last 64 samples of the one before (zeros for the
    first) and the LSTM state is carried from call to call, as silero-vad's
    SileroVADSequence does; up to `max_frames` windows go in one call, so the Python loop
    runs once per ~16 s of audio instead of once per 32 ms. SileroVADSequence itself is
    not called: importing it imports the package, so torch (~1.9 s measured), and it
    wants the whole track in memory, where this takes the WAV's blocks as they are read.
    """
    hidden = np.zeros((1, 1, 128), np.float32)
    cell = np.zeros((1, 1, 128), np.float32)
    context = np.zeros(CONTEXT, np.float32)
    probs: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    done = 0

    def run(samples: np.ndarray) -> None:
        """Windows of `samples` (a multiple of WINDOW long) through the model."""
        nonlocal hidden, cell, context
        frames = samples.reshape(-1, WINDOW)
        x = np.empty((len(frames), CONTEXT + WINDOW), np.float32)
        x[:, CONTEXT:] = frames
        x[0, :CONTEXT] = context
        x[1:, :CONTEXT] = frames[:-1, -CONTEXT:]
        context = frames[-1, -CONTEXT:].copy()
        out, hidden, cell = session.run(
            ["speech_probs", "hn", "cn"], {"input": x, "h": hidden, "c": cell}
        )
        probs.append(np.asarray(out, np.float32).reshape(-1))

    step = max_frames * WINDOW
    for block in blocks:
        buf = np.concatenate((carry, block)) if len(carry) else np.asarray(block, np.float32)
        full = len(buf) // WINDOW * WINDOW
        for i in range(0, full, step):
            run(buf[i : min(full, i + step)])
        carry = buf[full:]
        done += full
        if progress:
            progress(min(done, total))
    if len(carry):
        run(np.pad(carry, (0, WINDOW - len(carry))))
    return np.concatenate(probs) if probs else np.zeros(0, np.float32)


def detect_speech(
    audio: np.ndarray | str | os.PathLike[str],
    opts: VadOptions,
    *,
    threads: int = 1,
    progress: Callable[[float, str], None] | None = None,
) -> list[dict[str, float]]:
    """Speech regions in seconds: [{"start": s, "end": s, "peak": p}, ...] in time order
    (peak: Silero's highest speech probability inside the region).

    `audio` is the 16 kHz mono samples, or the path of a 16 kHz mono WAV, which is then
    read in blocks rather than loaded whole. `threads` are the model's intra-op threads.
    """
    session = silero_session(threads)

    if isinstance(audio, np.ndarray):
        samples = np.asarray(audio, np.float32)
        n = len(samples)
        step = BLOCK_SECONDS * SAMPLE_RATE
        blocks: Iterable[np.ndarray] = (samples[i : i + step] for i in range(0, n, step))
    else:
        n, blocks = wav_blocks(audio)
    seconds = n / SAMPLE_RATE

    def on_progress(done: int) -> None:
        if progress and n:
            progress(done / n, f"{done / SAMPLE_RATE:.0f} of {seconds:.0f} s")

    probs = speech_probs(session, blocks, n, on_progress)
    stamps = regions_from_probs(probs.tolist(), n, opts)
    return [
        {
            "start": round(s["start"] / SAMPLE_RATE, 3),
            "end": round(s["end"] / SAMPLE_RATE, 3),
            # Silero's highest window probability in the region: how sure it was that
            # someone speaks there (srt_generation's filter weighs it, issue 28).
            "peak": round(float(probs[s["start"] // WINDOW : -(-s["end"] // WINDOW)].max()), 3),
        }
        for s in stamps
    ]


def regions_from_probs(
    probs: Sequence[float], n_samples: int, opts: VadOptions
) -> list[dict[str, int]]:
    """Speech regions in samples from per-window probabilities.

    silero-vad 6.2's `get_speech_timestamps_from_probs` (MIT) at 16 kHz with its defaults
    for everything we do not set (max_speech_duration_s=inf, so it never cuts long
    speech; neg_threshold = threshold - 0.15), step for step, without importing torch.
    """
    threshold = opts.threshold
    min_speech = SAMPLE_RATE * opts.min_speech_ms / 1000
    pad = SAMPLE_RATE * opts.speech_pad_ms / 1000
    min_silence = SAMPLE_RATE * opts.min_silence_ms / 1000
    neg_threshold = max(threshold - 0.15, 0.01)
    speeches: list[dict[str, int]] = []
    start: int | None = None  # the current speech's start while in speech
    temp_end = 0  # a possible end, while a silence is not yet long enough
    for i, p in enumerate(probs):
        cur = WINDOW * i
        if p >= threshold and temp_end:
            temp_end = 0
        if p >= threshold and start is None:
            start = cur
            continue
        if p < neg_threshold and start is not None:
            if not temp_end:
                temp_end = cur
            if cur - temp_end < min_silence:
                continue
            if temp_end - start > min_speech:
                speeches.append({"start": start, "end": temp_end})
            start, temp_end = None, 0
    if start is not None and n_samples - start > min_speech:
        speeches.append({"start": start, "end": n_samples})
    for i, sp in enumerate(speeches):
        if i == 0:
            sp["start"] = int(max(0, sp["start"] - pad))
        if i != len(speeches) - 1:
            silence = speeches[i + 1]["start"] - sp["end"]
            if silence < 2 * pad:
                sp["end"] += int(silence // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - silence // 2))
            else:
                sp["end"] = int(min(n_samples, sp["end"] + pad))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - pad))
        else:
            sp["end"] = int(min(n_samples, sp["end"] + pad))
    return speeches
