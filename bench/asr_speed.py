"""Section 1: our VAD + ASR stages against bare faster-whisper, on the same speech.

Every mode in a fresh process (bench/asr_worker.py), interleaved; the ratios are
medians of same-repetition pairs. Speed stands beside word recall from the same runs.

    bench/asr_speed.py [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import media_gen
from common import (
    BENCH,
    CONFIG,
    PY,
    ROOT,
    asr_threads,
    last_json,
    measured,
    med,
    standalone_work,
    word_recall,
)

BATCH = CONFIG["asr"]["batch_size"]
# The modes and the ratios reported, the first the configuration config.yaml ships.
MODES = f"batch{BATCH},barebatch{BATCH},fwvadbatch{BATCH},ours,bare,fwvad"
PAIRS = f"batch{BATCH}/barebatch{BATCH},ours/bare,fwvadbatch{BATCH}/barebatch{BATCH},fwvad/bare"


def measure(
    work: Path, minutes: float, reps: int, modes: list[str], pairs: list[tuple[str, str]]
) -> dict:
    """Every mode in a fresh process, interleaved (A, B, C, A, B, C, ...); each pair's
    ratio is the median of its same-repetition ratios."""
    wav, refs, audio = media_gen.speech_track(work, minutes)
    audio_s = len(audio) / media_gen.RATE
    del audio
    threads = asr_threads()
    # One untimed run of every mode on a minute of the same speech first: otherwise the
    # first timed run alone pays for a cold page cache (model files, libraries), which
    # made session 2's first batch4 run ~10 % slower than its later ones.
    warm, _, _ = media_gen.speech_track(work, 1)
    for m in modes:
        subprocess.run(
            [PY, str(BENCH / "asr_worker.py"), m, str(warm), str(threads)],
            check=True,
            capture_output=True,
        )
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    for r in range(reps):
        for m in modes:
            res = measured([PY, str(BENCH / "asr_worker.py"), m, str(wav), str(threads)])
            j = last_json(res["stdout"])
            j["maxrss_mb"] = res["maxrss_mb"]
            j["recall"] = word_recall(j.pop("text"), refs)
            runs[m].append(j)
            print(
                f"  asr rep {r + 1} {m:10s} total {j['total_s']:6.1f} s "
                f"(load {j['load_s']:.1f}, vad {j['vad_s']:.1f}, decode {j['decode_s']:.1f})",
                flush=True,
            )
    summary = {}
    for m in modes:
        rs = runs[m]
        summary[m] = {
            k: med([x[k] for x in rs])
            for k in ("total_s", "load_s", "vad_s", "decode_s", "maxrss_mb", "recall", "speech_s")
        }
        summary[m]["rtf"] = summary[m]["total_s"] / audio_s
        summary[m]["words"] = med([x["words"] for x in rs])
    ratios = {}
    for a, b in pairs:
        each = [x["total_s"] / y["total_s"] for x, y in zip(runs[a], runs[b], strict=True)]
        ratios[f"{a}/{b}"] = {
            "median_of_pairs": med(each),
            "pairs": each,
            "ratio_of_medians": summary[a]["total_s"] / summary[b]["total_s"],
        }
    return {
        "wav": os.path.relpath(wav, ROOT),
        "audio_s": audio_s,
        "lines": len(refs),
        "threads": threads,
        "reps": reps,
        "modes": modes,
        "runs": runs,
        "summary": summary,
        "ratios": ratios,
    }


def main(argv: list[str] | None = None) -> int:
    """Standalone: the default modes and pairs; prints the results as JSON (run.py runs it within `make bench`)."""
    quick, work = standalone_work(__doc__, argv)
    print(
        json.dumps(
            measure(
                work,
                1.5 if quick else 10,
                1 if quick else 3,
                MODES.split(","),
                [tuple(x.split("/")) for x in PAIRS.split(",")],
            ),
            indent=1,
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
