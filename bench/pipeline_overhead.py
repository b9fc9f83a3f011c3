"""Section 2: what the workflow costs beside the stages' own work, on one movie.

Each movie runs from a fresh out/ through a copy of the workflow that only adds a
`benchmark:` file to every rule; overhead = wall - the stages' own durations.

    bench/pipeline_overhead.py [--quick]
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

import media_gen
from common import (  # noqa: F401
    BENCH,
    NPROC,
    ROOT,
    SNAKEMAKE,
    measured,
    standalone_work,
    word_recall,
)

from subsmith.harness.stages import BY_NAME, STAGE_NAMES

# The stages whose time is a model's work (the rest is ffmpeg, JSON, text and Snakemake).
MODEL_STAGES = ("silero_vad", "pyannote_vad", "diarization", "asr")


def workflow_copy(dst: Path) -> Path:
    """A temporary copy of the workflow with a `benchmark:` file added to every rule
    (the rules themselves are untouched); returns the copy's Snakefile."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in ("Snakefile", "config.yaml", "config.schema.yaml"):
        shutil.copy2(ROOT / name, dst / name)
    for d in ("rules", "scripts", "profiles", "envs"):
        shutil.copytree(ROOT / d, dst / d)
    for smk in (dst / "rules").glob("*.smk"):
        text = smk.read_text()
        text = re.sub(
            r"^rule (\w+):\n",
            lambda m: (
                f"rule {m.group(1)}:\n    benchmark:\n"
                f'        f"{{MOVIE_DIR}}/benchmarks/{m.group(1)}.tsv"\n'
            ),
            text,
            flags=re.M,
        )
        smk.write_text(text)
    return dst / "Snakefile"


def measure(work: Path, wav: Path, name: str) -> dict:
    """One movie made from `wav`, through the whole workflow from a fresh out/."""
    wd = work / f"pipeline_{name}_{wav.stem}"  # the movie is cached: keyed by its source
    movie = name
    media_gen.wav_to_movie(wav, wd / "in" / f"{movie}.mkv", video=True)
    shutil.rmtree(wd / "out", ignore_errors=True)
    shutil.rmtree(wd / ".snakemake", ignore_errors=True)
    snakefile = workflow_copy(work / "wf_copy")
    cmd = [SNAKEMAKE, "-s", str(snakefile), "--directory", str(wd), "--cores", str(NPROC)]
    launched = time.time()
    res = measured(cmd, cwd=wd)
    ended = launched + res["wall_s"]
    d = wd / "out" / movie
    stages = {}
    for s in STAGE_NAMES:
        st = json.loads((d / ".status" / f"{s}.json").read_text())
        row = {"status": st["status"], "duration_s": st["duration"]}
        row["started"] = datetime.fromisoformat(st["started_at"]).timestamp()
        row["finished"] = datetime.fromisoformat(st["finished_at"]).timestamp()
        tsv = d / "benchmarks" / f"{s}.tsv"
        if not tsv.exists():  # mux, with publish.mkv false, left none: its status says why
            b = {"s": row["duration_s"], "max_rss": "NA"}
        else:
            with open(tsv) as f:
                b = next(csv.DictReader(f, delimiter="\t"))
        row["job_s"] = float(b["s"])
        row["max_rss_mb"] = float(b["max_rss"]) if b["max_rss"] not in ("NA", "-") else None
        stages[s] = row
    body = sum(r["duration_s"] for r in stages.values())
    model = sum(stages[s]["duration_s"] for s in MODEL_STAGES if s in stages)
    jobs = sum(r["job_s"] for r in stages.values())
    # The critical chain: an optional stage (tmdb) runs beside it, not between two of it.
    seq = [stages[s] for s in STAGE_NAMES if BY_NAME[s].critical]
    breakdown = {
        "startup_s": seq[0]["started"] - launched,
        "between_stages_s": sum(
            b["started"] - a["finished"] for a, b in zip(seq[:-1], seq[1:], strict=True)
        ),
        "finish_s": ended - seq[-1]["finished"],
    }
    transcript = json.loads((d / "asr" / "transcript.json").read_text())
    return {
        "name": name,
        "breakdown": breakdown,
        "audio_s": float(json.loads((d / "media.json").read_text())["wav"]["duration"]),
        "speech_s": float(transcript.get("speech_seconds", 0.0)),
        "wall_s": res["wall_s"],
        "maxrss_mb": res["maxrss_mb"],
        "stages": stages,
        "stage_bodies_s": body,
        "model_stages_s": model,
        "jobs_s": jobs,
        "overhead_s": res["wall_s"] - body,
        "overhead_share": (res["wall_s"] - body) / res["wall_s"],
        "non_model_share": (res["wall_s"] - model) / res["wall_s"],
        "command": " ".join(cmd),
    }


def measure_movies(work: Path, minutes: float, feature_repeats: int) -> dict:
    """The clip (the speech track) and the feature (it, repeated with quiet between)."""
    wav, _, _ = media_gen.speech_track(work, minutes)
    feature = media_gen.feature_track(work, wav, feature_repeats)
    results = {}
    for name, w in (("clip", wav), ("feature", feature)):
        results[name] = measure(work, w, name)
        print(
            f"  {name}: wall {results[name]['wall_s']:.1f} s, overhead "
            f"{results[name]['overhead_share']:.1%}",
            flush=True,
        )
    return results


def main(argv: list[str] | None = None) -> int:
    """Standalone: the clip and the feature; prints the results as JSON (run.py runs it within `make bench`)."""
    quick, work = standalone_work(__doc__, argv)
    print(
        json.dumps(
            measure_movies(work, 1.5 if quick else 10, 1 if quick else 4), indent=1, default=str
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
