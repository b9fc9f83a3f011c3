"""Peak RSS of the reconstruction step alone at a 2-hour movie's shape:
`python bench/diar_reconstruct_memory.py [pyannote|lean] [--speakers 30]`.

7200 windows (10 s at a 1 s step) x 589 frames x 3 local speakers of random activity, 30
speakers: the arrays pyannote's SpeakerDiarization.reconstruct and subsmith.speakers.lean_reconstruct
get on a 2-hour track. Run each in its own process through bench/peak.py:

    python bench/peak.py /tmp/rss python bench/diar_reconstruct_memory.py pyannote
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("how", choices=["pyannote", "lean"])
    ap.add_argument("--speakers", type=int, default=30)
    ap.add_argument("--minutes", type=float, default=120)
    args = ap.parse_args()
    from pyannote.audio.pipelines.speaker_diarization import SpeakerDiarization
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    from subsmith.speakers import lean_reconstruct

    rng = np.random.default_rng(0)
    chunks, frames = int(args.minutes * 60 - 9), 589
    seg = (rng.random((chunks, frames, 3)) > 0.5).astype(np.float32)
    hard = rng.integers(0, args.speakers, size=(chunks, 3))
    step = 10.0 / frames
    window = SlidingWindow(start=0.0, duration=step, step=step)
    count = SlidingWindowFeature(
        rng.integers(0, 3, size=(int(args.minutes * 60 / step), 1)).astype(np.int8), window
    )
    segs = SlidingWindowFeature(seg, SlidingWindow(start=0.0, duration=10.0, step=1.0))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    if args.how == "pyannote":
        out = SpeakerDiarization.reconstruct(
            SpeakerDiarization.__new__(SpeakerDiarization), segs, hard, count
        )
    else:
        out = lean_reconstruct.reconstruct(segs, hard, count)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.how}: {time.perf_counter() - t:.1f} s, peak RSS {before:.0f} MB with the input, "
        f"{after:.0f} MB after reconstruction (+{after - before:.0f} MB), output {out.data.shape}"
    )


if __name__ == "__main__":
    main()
