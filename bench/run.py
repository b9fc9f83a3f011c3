"""subsmith benchmarks: `make bench` (or `.venv/bin/python bench/run.py`).

Every ratio is measured side by side in this one run (CPU speed here varies 2-4x between
runs). Inputs are generated (espeak-ng, ffmpeg), nothing is downloaded. Work files go
to bench/work/ (git-ignored; generated media are cached there between runs).

    bench/run.py                 # everything, writes bench/results.md
    bench/run.py --quick         # small sizes, for development (writes bench/work/results_quick.md)
    bench/run.py --only asr,scale

Sections: asr (our ASR stage path vs bare faster-whisper), pipeline (snakemake overhead on
one movie), scale (dry-run at 10/100/1000 movies vs a minimal Snakefile; 20-movie
throughput), memory (peak RSS of demux, silero_vad, asr on a 2-hour track).

Each section is its own script (they run alone too): asr_speed.py (1), pipeline_overhead.py
(2), library_scale.py (3), stage_memory.py (4), subtitle_check.py (5); report.py writes
results.md, common.py holds what they share. The sections on real recordings take their
data folder as an argument and run on their own: speech_dev.py (ASR accuracy beside
speed) and vad_combine.py (which speech regions ASR decodes: pyannote_vad.combine; `make
bench` runs it on SPEECH_DATA); report.py puts their .md files into results.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import asr_speed
import common
import library_scale
import pipeline_overhead
import report
import stage_memory
import subtitle_check
from common import BENCH


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for development")
    ap.add_argument("--only", default="asr,pipeline,scale,memory")
    ap.add_argument("--reps", type=int, default=None, help="ASR repetitions (default 3)")
    ap.add_argument(
        "--asr-modes", default=asr_speed.MODES, help="bench/asr_worker.py modes, run interleaved"
    )
    ap.add_argument(
        "--asr-pairs",
        default=asr_speed.PAIRS,
        help="ratios to report, A/B; the first is the shipped configuration's",
    )
    ap.add_argument(
        "--feature-repeats",
        type=int,
        default=4,
        help="the feature-length movie of section 2: this many times (the dialogue, then "
        "as long of quiet noise)",
    )
    ap.add_argument("--work", default=str(BENCH / "work"))
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite bench/results.md from bench/work/results.json (e.g. after editing "
        "bench/analysis.md), measuring nothing",
    )
    ap.add_argument(
        "--merge",
        nargs="*",
        default=[],
        help="with --report-only: results_<sections>.json files of later partial runs "
        "whose sections replace those of results.json (the report says so)",
    )
    a = ap.parse_args(argv)
    only = set(a.only.split(","))
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    q = a.quick
    if a.report_only:
        r = json.loads((work / "results.json").read_text())
        for f in a.merge:
            part = json.loads(Path(f).read_text())
            for sec in ("asr", "pipeline", "scale", "memory"):
                if sec in part:
                    r[sec] = part[sec]
                    r.setdefault("merged", {})[sec] = {
                        "date": part["date"],
                        "argv": part["argv"],
                        "total_s": part["total_s"],
                    }
            (work / "results.json").write_text(json.dumps(r, indent=1, default=str))
        r["analysis"] = (BENCH / "analysis.md").read_text().strip()
        r["subtitles"] = subtitle_check.measure(work)
        (BENCH / "results.md").write_text(report.report(r, r.get("argv", [])) + "\n")
        print(f"wrote {BENCH / 'results.md'}")
        return 0
    t0 = time.perf_counter()
    r: dict = {
        "machine": common.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "argv": argv,
    }
    print(f"machine: {r['machine']}", flush=True)
    minutes = 1.5 if q else 10
    if "asr" in only:
        print("1. ASR", flush=True)
        modes = a.asr_modes.split(",")
        pairs = [tuple(x.split("/")) for x in a.asr_pairs.split(",")]
        pairs = [(x, y) for x, y in pairs if x in modes and y in modes]
        r["asr"] = asr_speed.measure(work, minutes, a.reps or (1 if q else 3), modes, pairs)
    if "pipeline" in only:
        print("2. pipeline", flush=True)
        repeats = 1 if q else a.feature_repeats
        r["pipeline"] = pipeline_overhead.measure_movies(work, minutes, repeats)
    if "scale" in only:
        print("3. scale", flush=True)
        sizes = {10: 3, 100: 1} if q else {10: 15, 100: 9, 1000: 5}
        r["scale"] = library_scale.measure(work, sizes, 4 if q else 20, 2 if q else 5)
    if "memory" in only:
        print("4. memory", flush=True)
        r["memory"] = stage_memory.measure(work, 0.1 if q else 2.0)
    r["subtitles"] = subtitle_check.measure(work)
    r["total_s"] = time.perf_counter() - t0
    analysis = BENCH / "analysis.md"
    if analysis.exists() and not q:
        r["analysis"] = analysis.read_text().strip()
    text = report.report(r, argv)
    full = not q and only == {"asr", "pipeline", "scale", "memory"}
    name = "results" if full else ("results_quick" if q else f"results_{'_'.join(sorted(only))}")
    dest = BENCH / "results.md" if full else work / f"{name}.md"
    dest.write_text(text + "\n")
    (work / f"{name}.json").write_text(json.dumps(r, indent=1, default=str))
    print()
    print(text)
    print(f"\nwrote {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
