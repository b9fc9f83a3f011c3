"""Section 3: dry runs of large libraries against a minimal Snakefile, and throughput.

bench/library_scale.py [--quick]
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

import media_gen
from common import BENCH, ROOT, SNAKEMAKE, measured, med, standalone_work

from subsmith.harness.stages import STAGE_NAMES


def library(path: Path, n: int) -> Path:
    inp = path / "in"
    if inp.exists() and len(list(inp.iterdir())) == n:
        return path
    shutil.rmtree(path, ignore_errors=True)
    inp.mkdir(parents=True)
    for i in range(n):
        (inp / f"Movie {i:04d} (2001).mkv").touch()
    return path


def measure(work: Path, sizes: dict[int, int], n_movies: int, n_seq: int) -> dict:
    """sizes: library size -> repetitions. A dry run of 10 movies takes about a second,
    where the machine's noise is ±0.06 s, so small libraries get more repetitions."""
    # name: (Snakefile, extra environment). "every" is ours with subsmith/harness/scriptcheck.py
    # turned off: Snakemake checks the script of every job, as it does by itself.
    variants = {
        "ours": (ROOT / "Snakefile", {}),
        "every": (ROOT / "Snakefile", {"SUBSMITH_CHECK_EVERY_SCRIPT": "1"}),
        "minimal": (BENCH / "minimal" / "Snakefile", {}),
        "conventions": (BENCH / "minimal" / "conventions" / "Snakefile", {}),
    }
    dry: dict[int, dict] = {}
    order = random.Random(0)
    for n, reps in sizes.items():
        lib = library(work / "scale" / f"lib{n}", n)
        times: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(reps):  # interleaved, in a new order each time
            for name in order.sample(list(variants), len(variants)):
                sf, extra = variants[name]
                cmd = [SNAKEMAKE, "-s", str(sf), "--directory", str(lib), "--cores", "2", "-n"]
                res = measured(cmd, cwd=lib, extra_env=extra)
                assert f"{len(STAGE_NAMES) * n + 1}" in res["stdout"] + res["stderr"], (
                    "unexpected job count"
                )
                times[name].append(res["wall_s"])
        m = {k: med(v) for k, v in times.items()}
        dry[n] = {
            "ours_s": m["ours"],
            "every_s": m["every"],
            "minimal_s": m["minimal"],
            "conventions_s": m["conventions"],
            "ratio": m["ours"] / m["minimal"],
            "ratio_every": m["every"] / m["minimal"],
            "ratio_conventions": m["conventions"] / m["minimal"],
            "all": times,
        }
        print(
            f"  dry-run {n:5d} movies: ours {m['ours']:.2f} s, every script checked "
            f"{m['every']:.2f} s, minimal {m['minimal']:.2f} s, "
            f"conventions {m['conventions']:.2f} s",
            flush=True,
        )

    ours = variants["ours"][0]
    # Throughput: n_movies short movies in one run at --cores 2, vs one movie at a time.
    speech, _ = _short_dialogue()
    src = work / "short.mkv"
    if not src.exists():
        from subsmith import demo

        demo.make_movie(src, [{"audio": speech, "language": "eng", "default": True}])
    movie_s = len(speech) / media_gen.RATE
    par = work / "throughput_all"
    seq = work / "throughput_one"
    for wd, k in ((par, n_movies), (seq, n_seq)):
        shutil.rmtree(wd, ignore_errors=True)
        (wd / "in").mkdir(parents=True)
        for i in range(k):
            shutil.copy2(src, wd / "in" / f"short {i:02d}.mkv")
    cmd = [SNAKEMAKE, "-s", str(ours), "--directory", str(par), "--cores", "2"]
    t_par = measured(cmd, cwd=par)["wall_s"]
    print(f"  {n_movies} movies in one run: {t_par:.1f} s", flush=True)
    seq_times = []
    for i in range(n_seq):
        target = f"out/short {i:02d}/final.mkv"
        cmd1 = [SNAKEMAKE, "-s", str(ours), "--directory", str(seq), "--cores", "2", target]
        seq_times.append(measured(cmd1, cwd=seq)["wall_s"])
    t_seq = sum(seq_times)
    print(f"  {n_seq} movies one at a time: {t_seq:.1f} s", flush=True)
    return {
        "dry": dry,
        "movie_s": movie_s,
        "n_movies": n_movies,
        "parallel_s": t_par,
        "parallel_per_min": n_movies / t_par * 60,
        "n_seq": n_seq,
        "seq_s": t_seq,
        "seq_each_s": seq_times,
        "seq_per_min": n_seq / t_seq * 60,
        "speedup": (n_movies / t_par) / (n_seq / t_seq),
        "cmd_parallel": " ".join(cmd),
    }


def _short_dialogue():
    from subsmith import demo

    return demo.dialogue(demo.DIALOGUE[:2], lead_in=0.5, tail=0.5)


def main(argv: list[str] | None = None) -> int:
    """Standalone: libraries of 10 and 100 (1,000 unless --quick) movies; prints the results as JSON (run.py runs it within `make bench`)."""
    quick, work = standalone_work(__doc__, argv)
    print(
        json.dumps(
            measure(
                work,
                {10: 3, 100: 1} if quick else {10: 15, 100: 9, 1000: 5},
                4 if quick else 20,
                2 if quick else 5,
            ),
            indent=1,
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
