"""DER of the offline diarization on pyannote.audio's own shipped sample, and how the VADs
compare there. Prints one table; bench/results.md records it.

The sample (`pyannote/audio/sample/sample.wav` + `sample.rttm`, inside the pyannote.audio
wheel) is 30 s of real two-speaker speech with a reference. DER is pyannote.metrics'
DiarizationErrorRate with no collar and overlap scored. The VAD lines are detection
error rates against the same reference's speech.

    python bench/diarization_sample.py [--step 0.1 0.5] [--threads 2] [--write]

--write also writes the table to bench/diarization_sample.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def sample() -> tuple[Path, Path]:
    spec = importlib.util.find_spec("pyannote.audio")
    folder = Path(list(spec.submodule_search_locations)[0]) / "sample"
    return folder / "sample.wav", folder / "sample.rttm"


def annotation(regions, label=None):
    from pyannote.core import Annotation, Segment

    out = Annotation()
    for r in regions:
        out[Segment(r["start"], r["end"])] = label or r["speaker"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=float, nargs="*", help="segmentation steps to compare")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--write", action="store_true", help="also write bench/diarization_sample.md"
    )
    args = parser.parse_args()

    import torch
    from pyannote.database.util import load_rttm
    from pyannote.metrics.detection import DetectionErrorRate
    from pyannote.metrics.diarization import DiarizationErrorRate

    from subsmith.core.settings import load
    from subsmith.media.audio import SAMPLE_RATE, read_wav
    from subsmith.speakers import diarization
    from subsmith.speech.vad import pyannote as pyannote_vad
    from subsmith.speech.vad import silero

    torch.set_num_threads(args.threads)
    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    config = load()
    wav, rttm = sample()
    reference = next(iter(load_rttm(rttm).values()))
    samples = read_wav(wav)
    seconds = len(samples) / SAMPLE_RATE
    default = diarization.DiarizationOptions.from_config(config["diarization"])
    steps = args.step or [default.segmentation_step]

    out(f"pyannote.audio sample: {seconds:.1f} s, {len(reference.labels())} speakers")
    out(
        "| segmentation_step | DER (no collar, overlap scored) | speakers | seconds | x real time |"
    )
    out("|---|---|---|---|---|")
    for step in steps:
        opts = diarization.DiarizationOptions(**{**default.__dict__, "segmentation_step": step})
        pipeline, _ = diarization.load_pipeline(opts, args.threads)
        t0 = time.perf_counter()
        turns = diarization.diarize(pipeline, samples, opts)
        took = time.perf_counter() - t0
        der = DiarizationErrorRate(collar=0.0, skip_overlap=False)(reference, annotation(turns))
        found = len({t["speaker"] for t in turns})
        out(f"| {step:g} | {der:.1%} | {found} | {took:.1f} | {seconds / took:.1f} |")

    silero_opts = silero.VadOptions.from_config(config["silero_vad"])
    silero_regions = silero.detect_speech(str(wav), silero_opts, threads=args.threads)
    pyannote = pyannote_vad.detect_speech(pyannote_vad.load_pipeline(), samples)
    out()
    out("| ASR regions (pyannote_vad.combine) | detection error | missed | false alarm |")
    out("|---|---|---|---|")
    for mode in pyannote_vad.COMBINE:
        regions = pyannote_vad.combine(silero_regions, pyannote, mode)
        d = DetectionErrorRate(collar=0.0)(reference, annotation(regions, "speech"), detailed=True)
        out(
            f"| {mode} | {d['detection error rate']:.1%} | {d['miss'] / d['total']:.1%} "
            f"| {d['false alarm'] / d['total']:.1%} |"
        )

    if args.write:
        head = [
            "# Diarization on pyannote.audio's shipped sample",
            "",
            f"`python bench/diarization_sample.py {' '.join(sys.argv[1:])}` "
            f"({time.strftime('%Y-%m-%d')}, torch threads {args.threads}; CPU time on a shared "
            "machine varies 2-4x between runs: compare rows of one run only).",
            "",
        ]
        (REPO / "bench" / "diarization_sample.md").write_text("\n".join(head + lines) + "\n")


if __name__ == "__main__":
    main()
