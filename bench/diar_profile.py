"""Where the diarization time goes: `python bench/diar_profile.py DATA_DIR [--minutes 3]`.

Runs the stage's own offline pipeline (subsmith.speakers.diarization.load_pipeline, config.yaml's
diarization section with the overrides given) on a few minutes of real speech (DATA_DIR's
WAVs end to end) and times each of pyannote's steps through its hook: segmentation windows,
frame count, embeddings, then clustering + reconstruction, in wall seconds, and the CPU time
(less moved by a shared machine's load). Each setting runs in this one process, side by
side, so the ratios between settings hold; the peak RSS is the process's so far (list
settings in increasing memory order to read each one's).

    python bench/diar_profile.py ../shared/data/ami-train --minutes 3 \
        --set segmentation_step=0.1,0.2 --threads 1,2
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import time
import warnings
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

STEPS = ("segmentation", "speaker_counting", "embeddings", "discrete_diarization")


def track(data_dir: Path, minutes: float) -> np.ndarray:
    import soundfile as sf

    pieces = [sf.read(str(p), dtype="float32")[0] for p in sorted(data_dir.glob("*.wav"))]
    need = int(minutes * 60 * 16000)
    out, i = [], 0
    while sum(len(x) for x in out) < need:
        out.append(pieces[i % len(pieces)])
        i += 1
    return np.concatenate(out)[:need]


def profile(section: dict, samples: np.ndarray, threads: int) -> dict[str, float]:
    from subsmith.speakers import diarization  # before torch: it sets torch's OpenMP wait policy

    # isort: split
    import torch

    opts = diarization.DiarizationOptions.from_config(section)
    pipeline, _ = diarization.load_pipeline(opts, threads)
    marks: dict[str, float] = {}

    def hook(step, artifact, file=None, total=None, completed=None):
        if total is None:
            marks.setdefault(step, time.perf_counter())

    waveform = torch.from_numpy(samples).reshape(1, -1)
    cpu = time.process_time()
    t0 = time.perf_counter()
    ann = pipeline({"waveform": waveform, "sample_rate": 16000}, hook=hook).speaker_diarization
    end = time.perf_counter()
    out, last = {}, t0
    for step in STEPS:
        out[step] = marks.get(step, last) - last
        last = marks.get(step, last)
    out["clustering+rest"] = end - last
    out["total"] = end - t0
    out["cpu"] = time.process_time() - cpu
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["speakers"] = len(ann.labels())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--threads", default="2", help="comma-separated torch thread counts")
    ap.add_argument(
        "--set", action="append", default=[], help="KEY=V1,V2 over config.yaml's diarization"
    )
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    base = yaml.safe_load((BENCH.parent / "config.yaml").read_text())["diarization"]
    grid = {"threads": [int(t) for t in args.threads.split(",")]}
    for item in args.set:
        key, values = item.split("=", 1)
        grid[key] = [yaml.safe_load(v) for v in values.split(",")]
    samples = track(args.data_dir, args.minutes)
    audio = len(samples) / 16000
    print(f"{audio / 60:.1f} min of audio; seconds per step (min per audio hour of the total)")
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        setting = dict(zip(keys, combo, strict=True))
        threads = setting.pop("threads")
        r = profile({**base, **setting}, samples, threads)
        steps = " ".join(f"{k} {r[k]:.1f}" for k in (*STEPS, "clustering+rest"))
        print(
            f"threads {threads} {setting}: {steps} | total {r['total']:.1f} s "
            f"({r['total'] / audio * 60:.1f} min/h), CPU {r['cpu'] / audio * 60:.1f} min/h, "
            f"process peak RSS so far {r['peak_mb']:.0f} MB, {r['speakers']} speakers",
            flush=True,
        )


if __name__ == "__main__":
    main()
