"""Diarization bench: `python bench/diarization.py DATA_DIR` writes bench/diarization.md.

DATA_DIR holds 16 kHz WAVs with their reference turns in *.rttm (and the scored regions in
*.uem), e.g. ../shared/data/ami-train/ (ten real AMI meeting excerpts); pyannote's own
shipped sample (real two-speaker speech, inside the pyannote.audio wheel) is always added.

Two settings run side by side in this one run (CPU speed moves 2-4x between runs here):
- previous: segmentation step 0.1, CAM++ on each (chunk, speaker) under its mask, pyannote's
  agglomerative clustering (as measured in ../shared/notes/stack.md);
- new: config.yaml's diarization settings: CAM++'s frame-level network once over the audio
  with pooled embeddings (subsmith/pooled_embedding.py), the configured clustering and the
  frame count threshold (subsmith/clustering.py);
- spectral (when it is not the configured method): the same embeddings, spectral
  clustering with an eigengap count.

The model outputs of each file are computed once per setting in this run (timed: that is
the seconds per audio hour), then every clustering candidate reuses them. Clustering
parameters are chosen by leave-one-out cross-validation: for each file, the candidate with
the lowest DER on the OTHER files is scored on it; the overall figures are those held-out
scores, never the best in-sample ones.

    python bench/diarization.py ../shared/data/ami-train
    python bench/diarization.py ../shared/data/ami-train --long-minutes 120   # peak RSS on 2 h
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import diar_extract as de  # noqa: E402
import diar_score as ds  # noqa: E402
import yaml  # noqa: E402

WORK = BENCH / "work" / "diar"
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())


def new_section() -> dict:
    return CONFIG["diarization"]


def previous_candidates() -> list[dict]:
    return ds.grid({"threshold": [0.5, 0.6, 0.7, 0.8], "min_cluster_size": [3, 12]})


def spectral_candidates(section: dict) -> list[dict]:
    c = section["clustering"]
    return ds.grid(
        {
            "method": ["spectral"],
            "neighbours": sorted({c["neighbours"], 0.05, 0.1, 0.2}),
            "merge_similarity": sorted({c["merge_similarity"], 0.75, 0.8, 0.85}),
            "count_threshold": sorted({section["count_threshold"], 0.4, 0.5}),
        }
    )


def new_candidates(section: dict) -> list[dict]:
    """The configured method's own parameters around config.yaml's values."""
    method = section["clustering"]["method"]
    if method == "spectral":
        return spectral_candidates(section)
    if method == "pyannote":
        return ds.grid(
            {
                "threshold": sorted({section["clustering_threshold"], 0.5, 0.6, 0.7, 0.8}),
                "min_cluster_size": [section["min_cluster_size"]],
                "count_threshold": sorted({section["count_threshold"], 0.4, 0.5}),
            }
        )
    return ds.grid(
        {
            "method": ["agglomerative"],
            "threshold": sorted({section["clustering"]["threshold"], 0.4, 0.5, 0.6}),
            "count_threshold": sorted({section["count_threshold"], 0.4, 0.5}),
        }
    )


def previous_clusterer(cand: dict):
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering

    params = {k: v for k, v in cand.items() if k in ("threshold", "min_cluster_size")}

    def make(z):
        c = AgglomerativeClustering(metric="cosine")
        c.instantiate({"method": "centroid", **params})
        return c

    return make


def new_clusterer(section: dict, cand: dict):
    from subsmith.clustering import ClusteringOptions, PyannoteClustering

    if "min_cluster_size" in cand:  # the pyannote method
        return previous_clusterer(cand)
    opts = ClusteringOptions.from_config(
        {**section["clustering"], **{k: v for k, v in cand.items() if k != "count_threshold"}}
    )

    def make(z):
        return PyannoteClustering(opts, float(z["sw"][2]), float(z["sw"][1]))

    return make


def extract_all(pipe, data: dict, step: float, mode: str) -> tuple[dict, dict]:
    """Model outputs per file, timed in this run ({uri: seconds})."""
    import shutil

    out, seconds = {}, {}
    tmp = WORK / f"run-{os.getpid()}"
    for uri, item in data.items():
        r = de.cached(pipe, item["wav"], step, mode, tmp)
        out[uri] = r
        seconds[uri] = float(r["seg_seconds"]) + float(r["emb_seconds"])
    shutil.rmtree(tmp, ignore_errors=True)
    return out, seconds


def table_rows(rows: dict, data: dict) -> list[str]:
    lines = []
    for uri in data:
        r = rows[uri]
        c0, c25 = r[0.0], r[0.25]
        d0, d25 = ds.der([c0])["der"], ds.der([c25])["der"]
        lines.append(
            f"| {uri} | {100 * d0:.1f} | {100 * d25:.1f} | {100 * c0['missed'] / c0['total']:.1f} | "
            f"{100 * c0['false_alarm'] / c0['total']:.1f} | {100 * c0['confusion'] / c0['total']:.1f} | "
            f"{r['speakers']} / {r['ref_speakers']} |"
        )
    return lines


def overall(rows: dict, uris: list[str]) -> dict:
    d0 = ds.der([rows[u][0.0] for u in uris])
    d25 = ds.der([rows[u][0.25] for u in uris])
    return {"der0": d0, "der25": d25}


def long_track(data_dir: Path, minutes: float) -> Path:
    """A long real-speech track: DATA_DIR's excerpts (and the sample) end to end, repeated."""
    import soundfile as sf

    path = WORK / f"long-{minutes:g}min.wav"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    pieces = [sf.read(str(p), dtype="float32")[0] for p in sorted(data_dir.glob("*.wav"))]
    need = int(minutes * 60 * de.SAMPLE_RATE)
    with sf.SoundFile(str(path), "w", de.SAMPLE_RATE, 1, "PCM_16") as f:
        done, i = 0, 0
        while done < need:
            x = pieces[i % len(pieces)][: need - done]
            f.write(x)
            done += len(x)
            i += 1
    return path


def run_long(path: Path, threads: int) -> dict:
    """The new setting on one long WAV in a fresh process: wall time and peak RSS."""
    with (
        tempfile.NamedTemporaryFile(suffix=".rss") as rss,
        tempfile.NamedTemporaryFile(suffix=".json") as js,
    ):
        t = time.perf_counter()
        p = subprocess.run(
            [
                sys.executable,
                str(BENCH / "peak.py"),
                rss.name,
                sys.executable,
                __file__,
                "--one",
                str(path),
                "--threads",
                str(threads),
                "--json",
                js.name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t
        if p.returncode != 0:
            return {"error": p.stderr.strip().splitlines()[-1:] or ["failed"]}
        info = json.loads(Path(js.name).read_text())
        info["wall"] = wall
        info["peak_rss_mb"] = int(Path(rss.name).read_text()) / 1024
        return info


def one(path: Path, out: Path) -> None:
    """--one: the new setting, end to end through pyannote's apply, on one WAV."""
    from subsmith import clustering, pooled_embedding

    section = new_section()
    pipe = de.load_pipeline()
    de.set_step(pipe, section["segmentation_step"], section["batch_size"])
    pooled_embedding.install(pipe, pipe._embedding.model_)
    opts = clustering.ClusteringOptions.from_config(section["clustering"])
    if clustering.install(pipe, opts, section["count_threshold"]) is None:
        pipe.clustering = previous_clusterer(
            {
                "threshold": section["clustering_threshold"],
                "min_cluster_size": section["min_cluster_size"],
            }
        )(None)
    pipe._expects_num_speakers = False
    file = de.read_file(path)
    t = time.perf_counter()
    ann = pipe.apply(file).speaker_diarization
    seconds = time.perf_counter() - t
    audio = file["waveform"].shape[1] / de.SAMPLE_RATE
    out.write_text(json.dumps({"seconds": seconds, "audio": audio, "speakers": len(ann.labels())}))


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
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(args.threads)
    if args.one:
        one(args.one, args.json)
        return
    if args.data_dir is None:
        ap.error("DATA_DIR is required")

    section = new_section()
    data = ds.references(args.data_dir)
    uris = list(data)
    ami = [u for u in uris if u != "sample"]
    audio_seconds = (
        sum(float(de.read_file(data[u]["wav"])["waveform"].shape[1]) for u in uris) / de.SAMPLE_RATE
    )
    pipe = de.load_pipeline()

    results = {}
    settings = {
        "previous": (0.1, "masked", previous_candidates(), previous_clusterer, {}),
        "new": (
            section["segmentation_step"],
            "pool-ex" if section["exclude_overlap"] else "pool",
            new_candidates(section),
            lambda cand: new_clusterer(section, cand),
            None,
        ),
    }
    if section["clustering"]["method"] != "spectral":
        settings["spectral"] = (
            section["segmentation_step"],
            settings["new"][1],
            spectral_candidates(section),
            lambda cand: new_clusterer(section, cand),
            None,
        )
    for name, (step, mode, cands, make_from, _) in settings.items():
        print(f"[{name}] extracting (step {step}, {mode})", flush=True)
        cache, seconds = extract_all(pipe, data, step, mode)

        def make(cand, make_from=make_from):
            return make_from(cand)

        def post(cand):
            return {"count_threshold": cand.get("count_threshold", 0.5)}

        # leave-one-out over the candidates (clustering + post only: no model time)
        table = []
        for cand in cands:
            r = ds.evaluate(pipe, data, cache, make(cand), collars=(0.0,), **post(cand))
            table.append({u: r[u][0.0] for u in uris})
        rows, chosen = {}, {}
        for held in uris:
            others = [u for u in uris if u != held]
            best = min(
                range(len(cands)), key=lambda i: ds.der([table[i][u] for u in others])["der"]
            )
            chosen[held] = cands[best]
            rows[held] = ds.evaluate(
                pipe, {held: data[held]}, cache, make(cands[best]), **post(cands[best])
            )[held]
        in_sample = min(range(len(cands)), key=lambda i: ds.der([table[i][u] for u in uris])["der"])
        cluster_seconds = sum(r["cluster_seconds"] for r in rows.values())
        results[name] = {
            "step": step,
            "mode": mode,
            "rows": rows,
            "chosen": chosen,
            "in_sample": (cands[in_sample], ds.der([table[in_sample][u] for u in uris])),
            "seconds_per_hour": (sum(seconds.values()) + cluster_seconds) / audio_seconds * 3600,
            "model_seconds": seconds,
        }
        print(
            f"[{name}] done: {results[name]['seconds_per_hour'] / 60:.1f} min per audio hour",
            flush=True,
        )

    long_info = None
    if args.long_minutes > 0:
        print(f"[long] {args.long_minutes:g} minutes", flush=True)
        long_info = run_long(long_track(args.data_dir, args.long_minutes), args.threads)
        long_info["minutes"] = args.long_minutes
    write_report(results, data, uris, ami, audio_seconds, args, long_info)


NOTES = """## Reading this

- new and spectral do the same model work (same segmentation step, same pooled
  embeddings); only the clustering differs. A gap between their speed figures is the shared
  machine's load changing during the run, not the clustering (it takes well under a second
  per file).
- Missed speech is most of the error on the AMI excerpts, and it is the segmentation
  model's: overlapped speech of three or four people, and trn01's few short words, which
  segmentation-3.0 does not detect at all. No clustering changes it; the usual AMI
  references also absorb short pauses (compare collar 0.25 s).
- Speed: seconds of segmentation + embedding + clustering per audio second, on one torch
  thread of a shared 2-core machine; compare the rows with each other, not with other runs.
"""


def write_report(results, data, uris, ami, audio_seconds, args, long_info) -> None:
    import importlib.metadata as md

    lines = [
        "# Diarization: previous vs new setting, side by side in one run",
        "",
        f"Written by `python bench/diarization.py {args.data_dir}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPU cores "
        f"({platform.machine()}), torch threads {args.threads}, load average "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared: compare the settings "
        f"only with each other). pyannote.audio {md.version('pyannote.audio')}, "
        f"pyannote.metrics {md.version('pyannote.metrics')}.",
        "",
        f"Data: {len(ami)} real meeting excerpts from `{args.data_dir}` (AMI) and pyannote's "
        f"shipped `sample.wav`; {audio_seconds:.0f} s of audio. DER from pyannote.metrics, "
        "overlap scored, collar 0 and 0.25 s. **Every DER below is cross-validated "
        "(leave-one-out): each file is scored with the clustering parameters chosen on the "
        "other files.**",
        "",
        "| setting | AMI DER c0 | AMI DER c0.25 | missed | false alarm | confusion | sample DER c0 | count within 1 | min per audio hour |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        rows = r["rows"]
        a = overall(rows, ami)
        s = overall(rows, ["sample"])
        within = sum(abs(rows[u]["speakers"] - rows[u]["ref_speakers"]) <= 1 for u in uris)
        lines.append(
            f"| {name} | {100 * a['der0']['der']:.1f} % | {100 * a['der25']['der']:.1f} % | "
            f"{100 * a['der0']['missed']:.1f} % | {100 * a['der0']['false_alarm']:.1f} % | "
            f"{100 * a['der0']['confusion']:.1f} % | {100 * s['der0']['der']:.1f} % | "
            f"{within} of {len(uris)} | {r['seconds_per_hour'] / 60:.1f} |"
        )
    lines += [""]
    for name, r in results.items():
        cand, d = r["in_sample"]
        lines += [
            f"## {name}: segmentation step {r['step']}, embeddings `{r['mode']}`",
            "",
            "| file | DER c0 | DER c0.25 | missed | false alarm | confusion | speakers found / ref |",
            "|---|---|---|---|---|---|---|",
            *table_rows(r["rows"], data),
            "",
            "Parameters chosen per held-out file: "
            + "; ".join(f"{u}: {json.dumps(c)}" for u, c in r["chosen"].items()),
            "",
            f"For comparison only (not a result): the best single candidate in-sample, "
            f"{json.dumps(cand)}, scores {100 * d['der']:.1f} % over all {len(uris)} files.",
            "",
        ]
    if long_info:
        if "error" in long_info:
            lines += [f"## Long track: failed ({long_info['error']})", ""]
        else:
            lines += [
                f"## Long track: {long_info['minutes']:g} minutes (the excerpts end to end, repeated)",
                "",
                f"New setting, a fresh process: {long_info['seconds']:.0f} s for "
                f"{long_info['audio'] / 60:.1f} min of audio "
                f"({long_info['seconds'] / long_info['audio'] * 60:.1f} min per audio hour), "
                f"peak RSS {long_info['peak_rss_mb']:.0f} MB, {long_info['speakers']} speakers.",
                "",
            ]
    lines += [NOTES]
    (BENCH / "diarization.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
