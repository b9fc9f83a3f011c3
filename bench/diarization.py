"""Diarization bench: `python bench/diarization.py DATA_DIR` writes bench/diarization.md.

DATA_DIR holds 16 kHz WAVs with their reference turns in *.rttm (and the scored regions in
*.uem), e.g. ../shared/data/ami-train/ (ten real AMI meeting excerpts); pyannote's own
shipped sample (real two-speaker speech, inside the pyannote.audio wheel) is always added.

Two settings run side by side in this one run (CPU speed moves 2-4x between runs here):
- previous: segmentation step 0.1, CAM++ on each (chunk, speaker) under its mask, pyannote's
  agglomerative clustering (as measured in ../shared/notes/stack.md);
- new: config.yaml's diarization settings: CAM++'s frame-level network once over the audio
  with pooled embeddings (subsmith/speakers/pooled_embedding.py), the configured clustering and the
  frame count threshold (subsmith/speakers/clustering.py);
- pyannote clustering (when it is not the configured method): new's model outputs with
  pyannote's own agglomerative clustering, the default before `constrained`;
- spectral (when it is not the configured method): the same embeddings, spectral
  clustering with an eigengap count;
- new at twice the segmentation step: what the speed knob costs in DER;
- oracle clustering: pyannote's OracleClustering over new's outputs (the reference says
  who is who), the floor no clustering can go under; and the same with speaker activity
  from the powerset's probabilities;
- scene tracks: alternate files end to end, twice over, each AMI participant one speaker
  across them (a film's characters across its scenes), clustered by pyannote's method,
  the configured one and the oracle; thresholds two-fold cross-validated between them.

The model outputs of each file are computed once per setting in this run (timed: that is
the seconds per audio hour), then every clustering candidate reuses them. Clustering
parameters are chosen by leave-one-out cross-validation: for each file, the candidate with
the lowest DER on the OTHER files is scored on it; the overall figures are those held-out
scores, never the best in-sample ones.

    python bench/diarization.py ../shared/data/ami-train
    python bench/diarization.py ../shared/data/ami-train --long-minutes 120   # peak RSS on 2 h

This file is the run loop (the settings side by side, the oracle rows, the scene tracks);
the settings and their candidates are bench/diar_settings.py, the long and scene tracks
bench/diar_corpora.py, the scoring bench/diar_score.py, the long track's fresh-process run
bench/diar_long.py and the report bench/diar_report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

# first: it sets torch's OpenMP wait policy, read when torch loads
import subsmith.speakers.diarization  # noqa: E402, F401

# isort: split
import diar_corpora as dc  # noqa: E402
import diar_extract as de  # noqa: E402
import diar_long as dl  # noqa: E402
import diar_report as dr  # noqa: E402
import diar_score as ds  # noqa: E402
import diar_settings as dst  # noqa: E402
import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", type=Path)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (the rule's threads:)")
    ap.add_argument(
        "--long-minutes",
        type=float,
        default=120.0,
        help="length of the long track for peak RSS (0: skip)",
    )
    ap.add_argument(
        "--long-only",
        action="store_true",
        help="measure only the long track (saved for --long-saved)",
    )
    ap.add_argument(
        "--long-saved", action="store_true", help="report the last --long-only measurement"
    )
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(args.threads)
    if args.one:
        dl.one(args.one, args.json, args.threads)
        return
    if args.data_dir is None:
        ap.error("DATA_DIR is required")
    if args.long_only:
        print(json.dumps(dl.measure_long(args)))
        return

    section = dst.new_section()
    data = ds.references(args.data_dir)
    uris = list(data)
    ami = [u for u in uris if u != "sample"]
    audio_seconds = (
        sum(float(de.read_file(data[u]["wav"])["waveform"].shape[1]) for u in uris) / de.SAMPLE_RATE
    )
    pipe = de.load_pipeline()

    results, caches = {}, {}
    settings = dst.settings(section)
    segmentation = dst.segmentation_settings(section, settings)
    timings = {}
    for name, (step, mode, cands, make_from, reuse) in settings.items():
        if isinstance(reuse, str):  # the model outputs of an earlier setting
            cache, (seconds, cpu) = caches[reuse], timings[reuse]
        else:
            print(f"[{name}] extracting (step {step}, {mode}, {segmentation[name]})", flush=True)
            cache, seconds, cpu = extract_all(pipe, data, step, mode, *segmentation[name])
        timings[name] = (seconds, cpu)

        def post(cand):
            return {"count_threshold": cand.get("count_threshold", 0.5)}

        # leave-one-out over the candidates (clustering + post only: no model time)
        rows, chosen, in_sample = ds.cross_validate(
            pipe, data, cands, make_from, post, lambda cand, cache=cache: cache
        )
        caches[name] = cache
        cluster_seconds = sum(r["cluster_seconds"] for r in rows.values())
        results[name] = {
            "step": step,
            "mode": mode,
            "segmentation": segmentation[name],
            "rows": rows,
            "chosen": chosen,
            "in_sample": in_sample,
            "seconds_per_hour": (sum(seconds.values()) + cluster_seconds) / audio_seconds * 3600,
            "cpu_per_hour": (sum(cpu.values()) + cluster_seconds) / audio_seconds * 3600,
            "model_seconds": seconds,
        }
        print(
            f"[{name}] done: {results[name]['seconds_per_hour'] / 60:.1f} min per audio hour",
            flush=True,
        )

    print("[oracle clustering] the floor of the segmentation's output", flush=True)
    results.update(oracle_settings(pipe, data, section, caches["new"], results["new"]))
    print("[scene tracks] the clustering across scenes", flush=True)
    scene = scene_results(pipe, data, section, results["new"])
    long_info = None
    if args.long_minutes > 0:
        long_info = dl.measure_long(args)
    dr.write_report(results, data, uris, ami, audio_seconds, args, long_info, scene)


def extract_all(
    pipe, data: dict, step: float, mode: str, runtime: str = "torch", skip: bool = False
) -> tuple[dict, dict]:
    """Model outputs per file, timed in this run ({uri: seconds}); runtime and skip: how
    the segmentation windows run (segmentation_runtime, skip_nonspeech_windows)."""
    import shutil

    out, seconds, cpu = {}, {}, {}
    tmp = dc.WORK / f"run-{os.getpid()}"
    for uri, item in data.items():
        r = de.cached(pipe, item["wav"], step, mode, tmp, runtime, skip)
        out[uri] = r
        seconds[uri] = float(r["seg_seconds"]) + float(r["emb_seconds"])
        cpu[uri] = float(r["seg_cpu"]) + float(r["emb_cpu"])
    shutil.rmtree(tmp, ignore_errors=True)
    return out, seconds, cpu


def oracle_settings(pipe, data: dict, section: dict, cache: dict, new: dict) -> dict:
    """What no clustering can beat with these segmentation outputs: pyannote's
    OracleClustering (the reference turns say which window speaker is whom) over new's
    model outputs; then the same with each window speaker active where the powerset gives it
    at least `activity` probability (pyannote keeps only the most likely class), which
    finds more overlap and quiet speech at the cost of false alarm. Both cross-validated
    over the frame count threshold (and activity) like the other rows."""
    from pyannote.audio.pipelines.clustering import OracleClustering

    counts = sorted({section["count_threshold"], 0.3, 0.4, 0.5})

    def make_from(cand):
        return lambda z: OracleClustering()

    def post(cand):
        return {"count_threshold": cand["count_threshold"]}

    out = {}
    rows, chosen, in_sample = ds.cross_validate(
        pipe, data, ds.grid({"count_threshold": counts}), make_from, post, lambda c: cache, True
    )
    base = {**new, "cpu_per_hour": None, "seconds_per_hour": None}
    out["oracle clustering"] = {**base, "rows": rows, "chosen": chosen, "in_sample": in_sample}
    soft = {
        u: de.marginals(pipe, item["wav"], new["step"], new["segmentation"][0])
        for u, item in data.items()
    }
    levels = {
        a: {u: {**cache[u], "segmentations": (soft[u] >= a).astype(np.float32)} for u in data}
        for a in (0.25, 0.3, 0.4, 0.5)
    }
    cands = ds.grid({"activity": list(levels), "count_threshold": counts})
    rows, chosen, in_sample = ds.cross_validate(
        pipe, data, cands, make_from, post, lambda c: levels[c["activity"]], True
    )
    out["oracle clustering, activity from probabilities"] = {
        **base,
        "rows": rows,
        "chosen": chosen,
        "in_sample": in_sample,
        "segmentation": (new["segmentation"][0], False),
    }
    return out


def scene_results(pipe, data: dict, section: dict, new: dict) -> dict:
    """The clustering across scenes, on the two scene tracks with new's model outputs:
    pyannote's clustering, the configured one, and the oracle floor. Two-fold
    cross-validation: each track is scored with the threshold chosen on the other."""
    import shutil

    from pyannote.audio.pipelines.clustering import OracleClustering

    tracks = dc.scene_tracks(data)
    tmp = dc.WORK / f"scene-{os.getpid()}"
    cache = {
        name: de.cached(pipe, t["wav"], new["step"], new["mode"], tmp, *new["segmentation"])
        for name, t in tracks.items()
    }
    shutil.rmtree(tmp, ignore_errors=True)
    count = {"count_threshold": section["count_threshold"]}

    def at_count(cands: list[dict]) -> list[dict]:  # the thresholds, at the configured count
        return [c for c in cands if c["count_threshold"] == section["count_threshold"]]

    methods = {"pyannote clustering": at_count(dst.pyannote_candidates(section))}
    if section["clustering"]["method"] == "constrained":
        methods["new"] = at_count(dst.new_candidates(section))
    elif section["clustering"]["method"] != "pyannote":
        methods["new"] = [count]
    out = {}
    for name, cands in methods.items():
        rows, chosen, _ = ds.cross_validate(
            pipe,
            tracks,
            cands,
            lambda cand: dst.new_clusterer(section, cand),
            lambda cand: {"count_threshold": cand["count_threshold"]},
            lambda cand: cache,
        )
        out[name] = {"rows": rows, "chosen": chosen}
    rows, chosen, _ = ds.cross_validate(
        pipe,
        tracks,
        [count],
        lambda cand: lambda z: OracleClustering(),
        lambda cand: count,
        lambda cand: cache,
        True,
    )
    out["oracle clustering"] = {"rows": rows, "chosen": chosen}
    return {"tracks": tracks, "results": out}


if __name__ == "__main__":
    main()
