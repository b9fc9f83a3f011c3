"""The recordings of the cross-corpus diarization bench (bench/diar_loco.py), their
reference turns and their model outputs, computed once and cached.

Corpora (under DATA_DIR, as ../shared/data lays them out):
- ami-train: ten 30 s AMI meeting excerpts, reference turns (train.rttm), collar 0;
- speakers-dev: a broadcast with telephone callers, another AMI meeting, a distant room
  conversation, reference turns (reference.rttm), collar 0.25 s (its README: coarse or
  loose boundaries on two of the three);
- sample: pyannote's shipped sample.wav (two speakers), collar 0;
- single voices, no reference turns, each must come out as one speaker: every speech-dev
  voice, its files end to end with 1 s of silence between them (26 LJ Speech files, 4
  LibriVox, 1 LibriSpeech), and the film-dev clips whose silver transcript is one person
  talking (MONOLOGUES: read from the transcripts, not heard).

Model outputs (segmentation-3.0 windows on onnxruntime, only those near Silero speech,
pooled CAM++ embeddings: the stage's shipped settings) come from bench/diar_extract.py's
cache, so clustering candidates cost no model time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import diar_score as ds
import numpy as np
import soundfile as sf

BENCH = Path(__file__).resolve().parent
REAL = BENCH / "work" / "real"  # bench/real_decode.py's decodes (words with times)
# film-dev clips whose silver transcript reads as one person talking (Ben's lines);
# the others are scenes with two or more voices.
MONOLOGUES = (
    "notld_5s_dont_worry_about_him",
    "notld_7s_theyre_afraid_of_fire",
    "notld_10s_back_down_the_road",
    "notld_12s_if_anything_should_try_to_break_in",
)
VOICES = {"lj": "LJ001-", "librivox": "sense_and_sensibility_", "librispeech": "1089-"}
COLLAR = {"ami-train": 0.0, "speakers-dev": 0.25, "sample": 0.0}


def _rttm(folder: Path) -> tuple[dict, dict]:
    from pyannote.database.util import load_rttm, load_uem

    refs, uems = {}, {}
    for f in sorted(folder.glob("*.rttm")):
        refs.update(load_rttm(str(f)))
    for f in sorted(folder.glob("*.uem")):
        uems.update(load_uem(str(f)))
    return refs, uems


def _load16k(path: Path) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != 16000:
        g = gcd(rate, 16000)
        audio = resample_poly(audio, 16000 // g, rate // g).astype(np.float32)
    return audio


def _voice_tracks(folder: Path, out: Path) -> dict[str, Path]:
    """Each speech-dev voice's files end to end (16 kHz, 1 s of silence between)."""
    out.mkdir(parents=True, exist_ok=True)
    tracks = {}
    for voice, prefix in VOICES.items():
        wav = out / f"voice_{voice}.wav"
        files = sorted(folder.glob(f"{prefix}*.wav"))
        if not files:
            continue
        if not wav.exists():
            gap = np.zeros(16000, np.float32)
            parts = [p for f in files for p in (_load16k(f), gap)]
            sf.write(str(wav), np.concatenate(parts), 16000, subtype="PCM_16")
        tracks[voice] = wav
    return tracks


def recordings(data: Path, work: Path) -> dict[str, dict[str, Any]]:
    """{corpus/stem: {"corpus", "wav", "ref", "uem"}}; ref and uem are None for the single
    voices (scored by their speaker count only)."""
    import importlib.util

    from pyannote.core import Segment, Timeline

    out: dict[str, dict[str, Any]] = {}
    for corpus in ("ami-train", "speakers-dev"):
        refs, uems = _rttm(data / corpus)
        for wav in sorted((data / corpus).glob("*.wav")):
            if wav.stem in refs:
                out[f"{corpus}/{wav.stem}"] = {
                    "corpus": corpus,
                    "wav": wav,
                    "ref": refs[wav.stem],
                    "uem": uems.get(wav.stem),
                }
    pa = Path(next(iter(importlib.util.find_spec("pyannote.audio").submodule_search_locations)))
    refs, _ = _rttm(pa / "sample")
    wav = pa / "sample" / "sample.wav"
    out["sample/sample"] = {
        "corpus": "sample",
        "wav": wav,
        "ref": next(iter(refs.values())),
        "uem": Timeline([Segment(0, sf.info(str(wav)).duration)]),
    }
    for voice, wav in _voice_tracks(data / "speech-dev", work / "voices").items():
        out[f"speech-dev/{voice}"] = {"corpus": "speech-dev", "wav": wav, "ref": None, "uem": None}
    for stem in MONOLOGUES:
        wav = data / "film-dev" / f"{stem}.wav"
        if wav.exists():
            out[f"film-dev/{stem}"] = {"corpus": "film-dev", "wav": wav, "ref": None, "uem": None}
    return out


def model_outputs(recs: dict[str, dict], cache: Path) -> dict[str, dict]:
    """{key: cached segmentation + pooled embeddings} with the stage's settings."""
    import diar_extract as de

    pipe = de.load_pipeline()
    return {
        key: de.cached(pipe, r["wav"], 0.1, "pooled", cache, "onnxruntime", skip=True)
        for key, r in recs.items()
    }


class Scenes:
    """The clustering across scenes (a film's voices coming back), per corpus: its files end
    to end with 5 s pauses, twice over, each speaker one speaker all along (ami-train:
    bench/diarization.py's two tracks, alternate excerpts and the sample; speakers-dev:
    its three files, each file's speakers its own). Collar 0. Memoised per candidate."""

    def __init__(self, pipe, data: Path, cache: Path, recs: dict, make_clusterer):
        import diar_extract as de
        import diarization as bd
        from pyannote.core import Annotation, Segment, Timeline

        bd.WORK = cache
        self.pipe, self.memo, self.make_clusterer = pipe, {}, make_clusterer
        self.tracks = {"ami-train": bd.scene_tracks(ds.references(data / "ami-train"))}
        sd = {k.split("/")[1]: r for k, r in recs.items() if r["corpus"] == "speakers-dev"}
        placed = bd.placements(sd, list(sd), rounds=2)
        seconds = bd.track_seconds(sd, placed)
        wav = cache / "scene-speakers-dev.wav"
        bd.write_track(wav, sd, placed, seconds)
        ref = Annotation(uri="scene-C")
        for name, t in placed:
            for seg, _, lab in sd[name]["ref"].itertracks(yield_label=True):
                ref[Segment(seg.start + t, seg.end + t), len(ref)] = f"{name}-{lab}"
        uem = Timeline([Segment(0, seconds)])
        self.tracks["speakers-dev"] = {"C": {"wav": wav, "ref": ref, "uem": uem}}
        self.outs = {
            (c, k): de.cached(pipe, t["wav"], 0.1, "pooled", cache, "onnxruntime", skip=True)
            for c, tracks in self.tracks.items()
            for k, t in tracks.items()
        }

    def __call__(self, cand: dict, corpus: str) -> dict:
        key = (json.dumps(cand, sort_keys=True), corpus)
        if key not in self.memo:
            make, parts, found = self.make_clusterer(cand), [], []
            for k, t in self.tracks[corpus].items():
                z = self.outs[(corpus, k)]
                hyp = ds.diarize_cached(
                    self.pipe, z, make(z), k, count_threshold=cand["count_threshold"]
                )
                parts.append(ds.score_one(t["ref"], hyp, t["uem"], 0.0))
                found.append(f"{k}: {len(hyp.labels())} / {len(t['ref'].labels())}")
            self.memo[key] = {"der": ds.der(parts), "found": ", ".join(found)}
        return self.memo[key]


def words(key: str, model: str = "base") -> list[dict]:
    """The cached decode's words (start, end) of one recording, [] when not decoded."""
    f = REAL / model / f"{key}.json"
    if not f.exists():
        return []
    doc = json.loads(f.read_text(encoding="utf-8"))
    return [w for s in doc.get("segments", []) for w in s.get("words", [])]


if __name__ == "__main__":
    import sys
    import time

    import torch

    torch.set_num_threads(2)
    data, cache = Path(sys.argv[1]), Path(sys.argv[2])
    recs = recordings(data, cache)
    t = time.perf_counter()
    outs = model_outputs(recs, cache)
    print(f"{len(outs)} recordings in {time.perf_counter() - t:.0f} s", file=sys.stderr)
