"""What the report stage costs on a longer movie, as a share of the whole pipeline.

A generated 10-minute movie (the demo dialogue, its two voices, repeated with pauses
and a long silence in the middle, as films have), run through the real workflow with
diarization on (tests/speakers_fast.yaml); then the report stage's own duration from
the manifest against the sum of every stage's. Prints one JSON line; the figure is
quoted in README.md ("The report") and tests/README.md ("The report").

    python bench/report_cost.py [--minutes 10] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, SNAKEMAKE, env

from subsmith import demo
from subsmith.audio import SAMPLE_RATE


def long_movie(path: Path, minutes: float) -> None:
    """The dialogue again and again, 3 s apart, with a minute of silence at the middle."""
    audio, _ = demo.dialogue()
    target = int(minutes * 60 * SAMPLE_RATE)
    pause = np.zeros(3 * SAMPLE_RATE, np.float32)
    parts, n, silence_done = [], 0, False
    while n < target:
        if not silence_done and n > target // 2:
            parts.append(np.zeros(60 * SAMPLE_RATE, np.float32))
            n += 60 * SAMPLE_RATE
            silence_done = True
        parts += [audio, pause]
        n += len(audio) + len(pause)
    track = np.concatenate(parts)[:target]
    demo.make_movie(path, [{"audio": track, "language": "eng", "default": True}])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--work", type=Path)
    args = p.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="report-cost-"))
    long_movie(work / "in" / "Long (2020).mkv", args.minutes)
    t0 = time.monotonic()
    proc = subprocess.run(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(work), "--cores", "2"]
        + ["--configfile", str(ROOT / "tests" / "speakers_fast.yaml")],
        cwd=work,
        env=env(),
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - t0
    if proc.returncode:
        print(proc.stderr[-3000:])
        return 1
    m = json.loads((work / "out" / "Long (2020)" / "manifest.json").read_text())
    steps = m["pipeline"]["steps"]
    total = sum(s.get("duration") or 0 for s in steps.values())
    report = steps["report"]["duration"]
    size = (work / "out" / "Long (2020)" / "report.html").stat().st_size
    print(
        json.dumps(
            {
                "minutes": args.minutes,
                "report_s": report,
                "stages_s": round(total, 1),
                "share": round(report / total, 4),
                "run_wall_s": round(wall, 1),
                "report_html_kb": round(size / 1024),
                "report_notes": steps["report"]["notes"],
                "work": str(work),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
