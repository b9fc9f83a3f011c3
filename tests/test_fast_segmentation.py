"""segmentation-3.0 through onnxruntime (subsmith/speakers/fast_segmentation.py) on real speech:
pyannote's shipped sample (two real speakers, 30 s). The ONNX export lands in a
temporary model cache, never the user's."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from subsmith.core import settings
from subsmith.media.audio import read_wav
from subsmith.speakers import diarization, fast_segmentation, speaker_embedding


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("model-cache")
        mp.setenv("SUBSMITH_CACHE", str(path))
        yield path


@pytest.fixture(scope="module")
def sample() -> np.ndarray:
    import pyannote.audio

    return read_wav(Path(pyannote.audio.__file__).parent / "sample" / "sample.wav")


@pytest.fixture(scope="module")
def model():
    return diarization.load_segmentation().eval()


def windows(samples: np.ndarray, step: float = 2.0) -> np.ndarray:
    """(n, 1, 160000) 10 s windows of real speech, `step` seconds apart."""
    size, hop = 160000, int(step * 16000)
    return np.stack([samples[i : i + size] for i in range(0, len(samples) - size + 1, hop)])[
        :, None, :
    ]


def test_onnx_scores_equal_torchs_on_real_speech(cache, model, sample):
    checkpoint = speaker_embedding.segmentation_path()
    onnx = fast_segmentation.onnx_forward(model, checkpoint, threads=1)
    batch = windows(sample)
    got = onnx(batch)
    want = fast_segmentation.torch_forward(model)(batch)
    assert got.shape == want.shape == (len(batch), 589, 7)
    assert np.max(np.abs(got - want)) < fast_segmentation.PROBE_TOLERANCE
    # the powerset class per frame is what diarization reads: at most 1 frame in 1000 differs
    assert np.mean(got.argmax(-1) != want.argmax(-1)) <= 1e-3
    # exported once, under the checkpoint's hash: a second session reuses the file
    exported = fast_segmentation.onnx_path(checkpoint)
    assert exported.parent == cache and checkpoint_hash_in(exported.name, checkpoint)
    mtime = exported.stat().st_mtime_ns
    fast_segmentation.onnx_forward(model, checkpoint, threads=1)
    assert exported.stat().st_mtime_ns == mtime


def checkpoint_hash_in(name: str, checkpoint: Path) -> bool:
    return fast_segmentation.checkpoint_hash(checkpoint)[:16] in name


def test_a_new_checkpoint_gets_its_own_export(tmp_path, cache):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"one checkpoint")
    b.write_bytes(b"another checkpoint")
    assert fast_segmentation.onnx_path(a) != fast_segmentation.onnx_path(b)
    assert fast_segmentation.onnx_path(a).parent == cache


def test_torch_runs_with_a_log_line_when_onnxruntime_cannot(tmp_path, monkeypatch, model, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the model cache should be")
    monkeypatch.setenv("SUBSMITH_CACHE", str(blocked))
    checkpoint = speaker_embedding.segmentation_path()
    with caplog.at_level(logging.WARNING, logger="subsmith.speakers.diarization"):
        forward, used = fast_segmentation.pick_forward("onnxruntime", model, checkpoint, 1, "cpu")
    assert used == "torch"
    assert any("onnxruntime cannot run" in r.message for r in caplog.records)
    x = windows(np.zeros(160000, np.float32))
    assert forward(x).shape == (1, 589, 7)


def test_windows_without_speech_are_not_run():
    starts = np.arange(0, 20.0, 1.0)
    keep = fast_segmentation.speech_windows([(12.5, 13.0)], starts, 10.0)
    assert list(np.flatnonzero(keep)) == list(range(3, 13))  # windows [3, 13) .. [12, 22)
    assert not fast_segmentation.speech_windows([], starts, 10.0).any()


@pytest.fixture(scope="module")
def opts():
    config = settings.load(Path(__file__).parent / "speakers_fast.yaml")
    return diarization.DiarizationOptions.from_config(config["diarization"])


def test_diarization_of_the_sample_is_the_same_on_onnxruntime(cache, opts, sample, caplog):
    """The whole stage on the sample: torch's windows and onnxruntime's give the same
    turns; Silero-style regions covering the speech change nothing, and windows outside
    them get no speaker."""
    from dataclasses import replace

    assert opts.segmentation_runtime == "onnxruntime"  # config.yaml's default
    onnx, about = diarization.load_pipeline(opts, 1)
    assert about["segmentation_runtime"] == "onnxruntime"
    torch_opts = replace(opts, segmentation_runtime="torch")
    on_torch, about = diarization.load_pipeline(torch_opts, 1)
    assert about["segmentation_runtime"] == "torch"
    # each pipeline has its own windows, run by its own runtime: otherwise the comparison
    # below would compare one runtime with itself
    assert onnx._segmentation is not on_torch._segmentation
    assert onnx.window_runner.inference is onnx._segmentation
    assert on_torch.window_runner.inference is on_torch._segmentation
    onnx_batches = spy(onnx.window_runner, "forward")
    torch_batches = spy(on_torch.window_runner, "forward")
    want = diarization.diarize(on_torch, sample, torch_opts)
    assert len({t["speaker"] for t in want}) == 2
    assert torch_batches and not onnx_batches
    assert diarization.diarize(onnx, sample, opts) == want
    assert onnx_batches and len(torch_batches) == len(onnx_batches)
    everywhere = [{"start": 0.0, "end": len(sample) / 16000}]
    assert diarization.diarize(onnx, sample, opts, speech=everywhere) == want
    assert opts.segmentation_step == 0.5  # tests/speakers_fast.yaml: windows 5 s apart
    assert onnx.window_runner.windows_run() == (5, 5)  # 30 s: windows at 0, 5, ... 20 s
    # speech only in the first 4 s, no margin: every window from 4 s on is skipped, so
    # nothing after 10 s (the one window run ends there) has a speaker
    tight = replace(opts, speech_margin=0.0)
    with caplog.at_level(logging.INFO, logger="subsmith.speakers.diarization"):
        turns = diarization.diarize(onnx, sample, tight, speech=[{"start": 0.0, "end": 4.0}])
    assert turns and max(t["end"] for t in turns) <= 10.0 < max(t["end"] for t in want)
    assert onnx.window_runner.windows_run() == (1, 5)  # only the window at 0 s holds 0-4 s
    assert any("1 of 5 windows run" in r.getMessage() for r in caplog.records)


def spy(runner: fast_segmentation.WindowRunner, name: str) -> list[int]:
    """Record the batch sizes `runner.<name>` is called with (it still runs)."""
    calls: list[int] = []
    real = getattr(runner, name)

    def wrapped(batch):
        calls.append(len(batch))
        return real(batch)

    setattr(runner, name, wrapped)
    return calls
