"""segmentation-3.0's windows through onnxruntime, and only where Silero heard speech.

Segmentation (SincNet + a 4-layer bidirectional LSTM over every 10 s window, at a 1 s
step) was most of the diarization time. The same network exported to ONNX and run by
onnxruntime takes less CPU than torch's eager execution on 2 threads (bench/diarization.md,
rows "new" and "new, torch segmentation": CPU min per audio hour), for outputs equal to
torch's within float rounding (log-powerset scores within 1e-3,
tests/test_fast_segmentation.py): the powerset class of a frame, the only thing
diarization reads from them, differs in about one frame in 10 000.

The export is done once per checkpoint: the .onnx lives in subsmith's model cache
(models.cache_dir()), named after the checkpoint's SHA-256, so a new checkpoint
re-exports and nothing is ever committed. When onnxruntime cannot run it (no onnx
exporter, an export or session error, outputs that do not match torch's on a probe
window), torch runs the windows and the stage's log says why.

pyannote's own sliding-window machinery (Inference.slide: the chunks, the padded last
chunk, the progress hook, the powerset-to-speakers conversion) stays; only its per-batch
forward pass (Inference.infer) is replaced. That forward pass also skips windows that
hold no Silero speech region (a movie's music and silence), giving them no speaker, as
the model does for silence: a window that holds any speech runs whole, so its output is
the model's own.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.models import cache_dir

ONNX = "onnxruntime"
TORCH = "torch"
OPSET = 17  # the legacy (TorchScript) exporter of torch 2.x handles it; ORT 1.32 runs it
PROBE_TOLERANCE = 1e-3  # max |log-prob| difference to torch's on the probe window
SPEECH_KEY = "subsmith_speech"  # the file dict's Silero regions [(start, end)], seconds

log = logging.getLogger("subsmith.speakers.diarization")


def checkpoint_hash(checkpoint: Path) -> str:
    digest = hashlib.sha256()
    with open(checkpoint, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def onnx_path(checkpoint: Path) -> Path:
    """Where the ONNX export of this checkpoint is kept (one per checkpoint and opset)."""
    return cache_dir() / f"segmentation-{checkpoint_hash(checkpoint)[:16]}-opset{OPSET}.onnx"


def export(model: Any, target: Path) -> Path:
    """Export `model` (a pyannote PyanNet, eval mode) to `target` with a dynamic batch
    axis, unless it is there already. Written to a temporary file in the same folder and
    renamed, so a concurrent job never reads half a file."""
    if target.is_file():
        return target
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    samples = model.audio.get_num_samples(model.specifications.duration)
    fd, tmp = tempfile.mkstemp(prefix=".segmentation-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                model,
                (torch.zeros(2, 1, samples),),
                tmp,
                input_names=["waveform"],
                output_names=["scores"],
                dynamic_axes={"waveform": {0: "batch"}, "scores": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def onnx_forward(model: Any, checkpoint: Path, threads: int) -> Callable[[np.ndarray], np.ndarray]:
    """A forward pass (batch, 1, samples) -> (batch, frames, classes) log-powerset scores
    through onnxruntime, checked against torch on a probe window; raises when it cannot
    run or does not match."""
    import onnxruntime as ort
    import torch

    path = export(model, onnx_path(checkpoint))
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    # like OMP_WAIT_POLICY=PASSIVE for torch (diarization.py): no spinning on shared cores
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    def forward(batch: np.ndarray) -> np.ndarray:
        return session.run(None, {"waveform": np.ascontiguousarray(batch, np.float32)})[0]

    samples = model.audio.get_num_samples(model.specifications.duration)
    probe = np.random.default_rng(0).normal(0, 0.1, (1, 1, samples)).astype(np.float32)
    with torch.inference_mode():
        expected = model(torch.from_numpy(probe)).numpy()
    gap = float(np.max(np.abs(forward(probe) - expected)))
    if not gap <= PROBE_TOLERANCE:
        raise RuntimeError(f"its output differs from torch's by {gap:.2g} on a probe window")
    return forward


def torch_forward(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    import torch

    device = next(model.parameters()).device

    def forward(batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch, np.float32)).to(device)
        with torch.inference_mode():
            return model(x).cpu().numpy()

    return forward


def pick_forward(
    runtime: str, model: Any, checkpoint: Path, threads: int, device: str
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """(forward pass, the runtime actually used). onnxruntime runs here on CPU only; on
    CUDA, or when it fails, torch runs and the log says why."""
    if runtime == ONNX and device == "cpu":
        try:
            return onnx_forward(model, checkpoint, threads), ONNX
        except Exception as exc:  # noqa: BLE001 - any failure: torch does the same work
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            log.warning("segmentation: onnxruntime cannot run (%s); using torch", reason)
    elif runtime == ONNX:
        log.info("segmentation: on %s through torch (onnxruntime is used on CPU only)", device)
    return torch_forward(model), TORCH


def speech_windows(
    regions: Sequence[tuple[float, float]], starts: np.ndarray, duration: float
) -> np.ndarray:
    """Which windows [start, start + duration) overlap at least one speech region."""
    keep = np.zeros(len(starts), dtype=bool)
    for a, b in regions:
        keep |= (starts < b) & (starts + duration > a)
    return keep


class WindowRunner:
    """Inference.infer for pyannote's SpeakerDiarization: the forward pass above, the
    powerset converted to speakers as pyannote does, windows without speech skipped.

    Inference.slide hands the windows over in order, a batch at a time, and the padded
    last one alone; `start` (called by get_segmentations) resets the count, so the
    window each row is follows from it."""

    def __init__(self, inference: Any, forward: Callable[[np.ndarray], np.ndarray]) -> None:
        self.inference = inference
        self.forward = forward
        self.keep: np.ndarray | None = None
        self.seen = 0  # windows handed over for the current file
        self.skipped = 0  # of them, not run (no Silero speech near)

    def windows_run(self) -> tuple[int, int]:
        """(run, all) windows of the last file: what the log and the bench report."""
        return self.seen - self.skipped, self.seen

    def start(self, file: dict[str, Any]) -> None:
        """Before a file's windows: which of them hold speech (all, without regions)."""
        self.seen, self.skipped, self.keep = 0, 0, None
        regions = file.get(SPEECH_KEY)
        if regions is None:
            return
        inference = self.inference
        sr = file["sample_rate"]
        window = inference.model.audio.get_num_samples(inference.duration)
        step = round(inference.step * sr)
        total = file["waveform"].shape[-1]
        full = (total - window) // step + 1 if total >= window else 0
        last = total < window or (total - window) % step > 0
        starts = np.arange(full + last) * step / sr
        self.keep = speech_windows(regions, starts, inference.duration)

    def infer(self, chunks: Any) -> np.ndarray:
        import torch

        n = chunks.shape[0]
        keep = np.ones(n, dtype=bool)
        if self.keep is not None:
            keep = self.keep[self.seen : self.seen + n]
        self.seen += n
        self.skipped += int(n - keep.sum())
        model = self.inference.model
        frames = model.num_frames(chunks.shape[-1])
        speakers = len(model.specifications.classes)
        out = np.zeros((n, frames, speakers), dtype=np.float32)
        if keep.any():
            scores = self.forward(chunks.numpy()[keep])
            with torch.inference_mode():
                scores = torch.from_numpy(scores).to(self.inference.device)  # CUDA too
                out[keep] = self.inference.conversion(scores).cpu().numpy()
        return out


def install(pipeline: Any, forward: Callable[[np.ndarray], np.ndarray]) -> WindowRunner:
    """Make a pyannote SpeakerDiarization run its segmentation windows through `forward`,
    skipping those without speech when the file carries SPEECH_KEY regions. Installing
    again (a new `_segmentation`, another forward pass) replaces the previous one. The
    runner stays on the pipeline as `window_runner`, so its counts can be read."""
    inference = pipeline._segmentation
    runner = WindowRunner(inference, forward)
    inference.infer = runner.infer

    def get_segmentations(file: Any, hook: Any = None) -> Any:
        runner.start(file)
        return type(pipeline).get_segmentations(pipeline, file, hook=hook)

    pipeline.get_segmentations = get_segmentations
    pipeline.window_runner = runner
    return runner


def main() -> int:
    """`python -m subsmith.speakers.fast_segmentation` (make install): export once, check it runs."""
    import sys
    import warnings

    warnings.filterwarnings("ignore", message=r".*torchcodec.*")  # never decodes files
    from . import speaker_embedding

    try:
        model = speaker_embedding.load_segmentation().eval()
        checkpoint = speaker_embedding.segmentation_path()
        onnx_forward(model, checkpoint, threads=1)
    except Exception as exc:  # noqa: BLE001 - the stage falls back to torch
        print(
            f"subsmith: segmentation-3.0 not exported to ONNX ({exc}); torch runs it",
            file=sys.stderr,
        )
        return 0
    print(f"segmentation-3.0 (ONNX): {onnx_path(checkpoint)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
