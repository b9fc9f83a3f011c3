"""Speech regions with the silero-vad package's own model (ONNX, offline).

The audio goes through the package's ONNX model one 512-sample window at a time, as the
package's `get_speech_timestamps` does, but straight into an onnxruntime session made
like the package's (no torch: importing the package costs ~1.5 s and ~200 MB for torch)
and, when given a WAV path, read from disk in blocks, so memory stays flat however long
the movie is. `regions_from_probs` is the package's `get_speech_timestamps_from_probs`
for our settings (no maximum speech length); tests check both give the package's
regions exactly.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import StageError

SAMPLE_RATE = 16000
WINDOW = 512  # samples per Silero window at 16 kHz
CONTEXT = 64  # samples of the previous window the model sees
BLOCK_SECONDS = 60  # how much of a WAV file is read at a time


def wav_frames(path: str | os.PathLike[str]) -> int:
    """Number of samples of a 16 kHz mono WAV (what demux writes), read from its header."""
    import soundfile

    info = soundfile.info(str(path))
    if info.samplerate != SAMPLE_RATE or info.channels != 1:
        raise StageError(
            f"{path}: expected 16 kHz mono audio from demux, got {info.samplerate} Hz, "
            f"{info.channels} channels"
        )
    return int(info.frames)


def read_wav(path: str | os.PathLike[str]) -> np.ndarray:
    """16 kHz mono float32 samples (soundfile: torchaudio's decoders are not used here)."""
    import soundfile

    wav_frames(path)
    return soundfile.read(str(path), dtype="float32", always_2d=False)[0]


def wav_blocks(
    path: str | os.PathLike[str], seconds: float = BLOCK_SECONDS
) -> tuple[int, Iterator[np.ndarray]]:
    """(number of samples, an iterator of float32 blocks) of a 16 kHz mono WAV."""
    import soundfile

    frames = wav_frames(path)
    blocks = soundfile.blocks(str(path), blocksize=int(seconds * SAMPLE_RATE), dtype="float32")
    return frames, blocks


def model_path() -> Path:
    """The silero-vad package's ONNX model file, found without importing the package
    (importing it pulls in torch: ~1.5 s and ~200 MB)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise StageError("the silero-vad package is not installed; run `make install`")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "silero_vad.onnx"
    if not path.exists():
        raise StageError(f"Silero VAD model {path} is missing; reinstall silero-vad")
    return path


def silero_session(threads: int = 1) -> Any:
    """The silero-vad package's ONNX model, in a session set up as its OnnxWrapper does,
    except that it may use the rule's threads: on 2 cores one window at a time ran up to
    ~13 % faster with 2 intra-op threads (within run-to-run noise at other times), and the
    probabilities were bit-identical to one thread."""
    import onnxruntime

    path = model_path()
    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = max(1, threads)
    return onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"], sess_options=opts
    )


def speech_probs(
    session: Any,
    blocks: Iterable[np.ndarray],
    total: int,
    progress: Callable[[int], None] | None = None,
) -> list[float]:
    """Silero's speech probability of every 512-sample window, the last one zero-padded.

    The same inputs, state and context as silero_vad.OnnxWrapper, so the same numbers.
    """
    state = np.zeros((2, 1, 128), np.float32)
    x = np.zeros((1, CONTEXT + WINDOW), np.float32)  # [context | window]
    sr = np.array(SAMPLE_RATE, dtype=np.int64)
    probs: list[float] = []
    carry = np.zeros(0, np.float32)
    done = 0

    def run(window: np.ndarray) -> None:
        nonlocal state
        x[0, :CONTEXT] = x[0, -CONTEXT:]
        x[0, CONTEXT:] = window
        out, state = session.run(None, {"input": x, "state": state, "sr": sr})
        probs.append(float(out[0, 0]))

    for block in blocks:
        buf = np.concatenate((carry, block)) if len(carry) else np.asarray(block, np.float32)
        full = len(buf) // WINDOW * WINDOW
        for i in range(0, full, WINDOW):
            run(buf[i : i + WINDOW])
        carry = buf[full:]
        done += full
        if progress:
            progress(min(done, total))
    if len(carry):
        run(np.pad(carry, (0, WINDOW - len(carry))))
    return probs


def detect_speech(
    audio: np.ndarray | str | os.PathLike[str],
    *,
    threshold: float = 0.5,
    min_speech_ms: int = 250,
    min_silence_ms: int = 300,
    speech_pad_ms: int = 200,
    threads: int = 1,
    progress: Callable[[float, str], None] | None = None,
) -> list[dict[str, float]]:
    """Speech regions in seconds: [{"start": s, "end": s}, ...] in time order.

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
    stamps = regions_from_probs(
        probs,
        n,
        threshold=threshold,
        min_speech_ms=min_speech_ms,
        min_silence_ms=min_silence_ms,
        speech_pad_ms=speech_pad_ms,
    )
    return [
        {"start": round(s["start"] / SAMPLE_RATE, 3), "end": round(s["end"] / SAMPLE_RATE, 3)}
        for s in stamps
    ]


def regions_from_probs(
    probs: Sequence[float],
    n_samples: int,
    *,
    threshold: float = 0.5,
    min_speech_ms: int = 250,
    min_silence_ms: int = 300,
    speech_pad_ms: int = 200,
) -> list[dict[str, int]]:
    """Speech regions in samples from per-window probabilities.

    silero-vad 6.2's `get_speech_timestamps_from_probs` (MIT) at 16 kHz with its defaults
    for everything we do not set (max_speech_duration_s=inf, so it never cuts long
    speech; neg_threshold = threshold - 0.15), step for step, without importing torch.
    """
    min_speech = SAMPLE_RATE * min_speech_ms / 1000
    pad = SAMPLE_RATE * speech_pad_ms / 1000
    min_silence = SAMPLE_RATE * min_silence_ms / 1000
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


def summary(regions: list[dict[str, float]], duration: float) -> dict[str, Any]:
    speech = sum(r["end"] - r["start"] for r in regions)
    return {
        "sample_rate": SAMPLE_RATE,
        "duration": round(duration, 3),
        "speech_seconds": round(speech, 3),
        "speech": regions,
    }
