"""Section 4: peak memory of each stage's body on a long track, one fresh process each.

bench/stage_memory.py [--quick]
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import media_gen
from common import BENCH, CONFIG, NPROC, PY, asr_threads, last_json, measured, standalone_work


def measure(work: Path, hours: float) -> dict:
    wav, meta = media_gen.long_track(work, hours)
    t0 = time.perf_counter()
    movie = media_gen.wav_to_movie(wav, work / f"long_{hours:g}h.mkv", video=False)
    make_s = time.perf_counter() - t0
    d = work / "memory"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    out_wav, seg, tr = d / "audio.wav", d / "segments.json", d / "transcript.json"
    worker = str(BENCH / "stage_worker.py")
    threads = CONFIG["threads"]
    cmds = {
        "demux": [PY, worker, "demux", str(movie), str(out_wav)],
        "silero_vad": [
            PY, worker, "silero_vad", str(out_wav), str(seg),
            str(min(threads["silero_vad"], NPROC)),
        ],
        "asr": [PY, worker, "asr", str(out_wav), str(seg), str(tr), str(asr_threads())],
        "silero_vad_path": [
            PY, worker, "silero_vad_path", str(out_wav), str(seg),
            str(min(threads["silero_vad"], NPROC)),
        ],
        "asr_path": [
            PY, worker, "asr_path", str(out_wav), str(seg), str(tr), str(asr_threads()),
        ],
    }  # fmt: skip
    rows = {}
    for stage, cmd in cmds.items():
        res = measured(cmd)
        j = last_json(res["stdout"])
        rows[stage] = {"wall_s": res["wall_s"], "maxrss_mb": res["maxrss_mb"], **j}
        print(f"  {stage}: {res['wall_s']:.1f} s, peak RSS {res['maxrss_mb']:.0f} MB", flush=True)
    # A Python process with the same imports and nothing else, for scale.
    idle = measured([PY, "-c", "import numpy, soundfile, onnxruntime, faster_whisper, subsmith"])
    return {
        "hours": hours,
        "audio_s": meta["seconds"],
        "speech_inserts": len(meta["speech_inserts"]),
        "speech_each_s": meta["speech_seconds_each"],
        "float32_audio_mb": meta["seconds"] * 16000 * 4 / 2**20,
        "int16_wav_mb": out_wav.stat().st_size / 2**20,
        "imports_only_mb": idle["maxrss_mb"],
        "movie_make_s": make_s,
        "stages": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Standalone: a 2-hour track (6 minutes with --quick); prints the results as JSON (run.py runs it within `make bench`)."""
    quick, work = standalone_work(__doc__, argv)
    print(json.dumps(measure(work, 0.1 if quick else 2.0), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
