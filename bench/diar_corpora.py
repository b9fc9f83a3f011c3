"""The recordings of the diarization benches (bench/diar_loco.py, bench/diarization.py), their
reference turns and their model outputs, computed once and cached; and the long tracks made
of them (excerpts end to end with their pauses, their reference turns moved onto the
track's clock): bench/diarization.py's long track and the scene tracks of both benches.

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
WORK = BENCH / "work" / "diar"  # generated tracks (git-ignored)
GAP_SECONDS = 5.0  # silence after each excerpt on the long and scene tracks (a movie's pauses)


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
        from pyannote.core import Annotation, Segment, Timeline

        self.pipe, self.memo, self.make_clusterer = pipe, {}, make_clusterer
        self.tracks = {"ami-train": scene_tracks(ds.references(data / "ami-train"), cache)}
        sd = {k.split("/")[1]: r for k, r in recs.items() if r["corpus"] == "speakers-dev"}
        placed = placements(sd, list(sd), rounds=2)
        seconds = track_seconds(sd, placed)
        wav = cache / "scene-speakers-dev.wav"
        write_track(wav, sd, placed, seconds)
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


def placements(
    data: dict, uris: list[str], rounds: int | None = None, minutes: float | None = None
) -> list[tuple[str, float]]:
    """(excerpt, its start on the track): `uris` end to end, each followed by GAP_SECONDS of
    silence, `rounds` times over or repeated until `minutes`."""
    durations = [sf.info(str(data[u]["wav"])).duration for u in uris]
    end = minutes * 60 if minutes is not None else float("inf")
    count = rounds * len(uris) if rounds is not None else None
    out, t, i = [], 0.0, 0
    while t < end and (count is None or i < count):
        out.append((uris[i % len(uris)], t))
        t += durations[i % len(uris)] + GAP_SECONDS
        i += 1
    return out


def track_seconds(data: dict, placed: list[tuple[str, float]]) -> float:
    """Where the last excerpt's pause ends."""
    uri, t = placed[-1]
    return t + sf.info(str(data[uri]["wav"])).duration + GAP_SECONDS


def write_track(path: Path, data: dict, placed: list[tuple[str, float]], seconds: float) -> None:
    """The track of `placed` as 16-bit WAV, cut at `seconds`, written as it goes."""
    import diar_extract as de

    path.parent.mkdir(parents=True, exist_ok=True)
    gap = np.zeros(int(GAP_SECONDS * de.SAMPLE_RATE), dtype=np.float32)
    need = int(seconds * de.SAMPLE_RATE)
    with sf.SoundFile(str(path), "w", de.SAMPLE_RATE, 1, "PCM_16") as f:
        done = 0
        for uri, _ in placed:
            x = sf.read(str(data[uri]["wav"]), dtype="float32")[0]
            x = np.concatenate([x, gap])[: need - done]
            f.write(x)
            done += len(x)


def track_reference(data: dict, placed: list[tuple[str, float]], seconds: float, uri: str):
    """Each excerpt's reference turns moved to where it plays, cut at `seconds`. AMI names
    each participant the same in every meeting, so one is one speaker all along;
    pyannote's sample's two are named apart."""
    from pyannote.core import Annotation, Segment

    ref = Annotation(uri=uri)
    for name, t in placed:
        for seg, _, label in data[name]["ref"].itertracks(yield_label=True):
            if seg.start + t < seconds:
                speaker = label if name != "sample" else f"sample-{label}"
                ref[Segment(seg.start + t, min(seg.end + t, seconds)), len(ref)] = speaker
    return ref


def scene_tracks(data: dict, work: Path = WORK) -> dict[str, dict]:
    """Two long tracks for the clustering across scenes: the files of one half (alternate
    files in order, so each half has sample or not, three- and four-speaker meetings)
    end to end with their pauses, twice over, with their reference turns moved onto the
    track's clock (track_reference: a speaker heard in two excerpts, or twice, is one
    speaker of the track, as a film's characters are across its scenes). Generated into
    `work` (bench/work/diar), never committed."""
    from pyannote.core import Segment, Timeline

    uris = list(data)
    out = {}
    for fold, members in {"A": uris[0::2], "B": uris[1::2]}.items():
        path = work / f"scene-{fold}.wav"
        placed = placements(data, members, rounds=2)
        seconds = track_seconds(data, placed)
        write_track(path, data, placed, seconds)
        out[fold] = {
            "wav": path,
            "ref": track_reference(data, placed, seconds, f"scene-{fold}"),
            "uem": Timeline([Segment(0, seconds)]),
            "files": members,
        }
    return out


def long_track(data_dir: Path, minutes: float, work: Path = WORK) -> Path:
    """A long real-speech track: DATA_DIR's excerpts and pyannote's sample end to end with
    their pauses, repeated to `minutes`. Generated, never committed."""
    path = work / f"long-{minutes:g}min.wav"
    if not path.exists():
        data = ds.references(data_dir)
        write_track(path, data, placements(data, list(data), minutes=minutes), minutes * 60)
    return path


def long_reference(data_dir: Path, minutes: float):
    """The long track's reference turns."""
    data = ds.references(data_dir)
    placed = placements(data, list(data), minutes=minutes)
    return track_reference(data, placed, minutes * 60, "long")


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
