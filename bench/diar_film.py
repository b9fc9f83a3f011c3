"""Diarization on a film-like track, torch's path beside the configured one:
`python bench/diar_film.py [WAV] [--minutes M]` writes bench/diar_film.md.

A film is not all speech: the configured path (config.yaml's diarization section, as the
stage runs it: segmentation-3.0 on `segmentation_runtime`, windows far from Silero's
speech skipped when `skip_nonspeech_windows`) runs beside the previous one (torch over
every window), each in a fresh process under bench/peak.py (wall, CPU, peak RSS). The
Silero regions are computed first and not timed (the silero_vad stage's work). What the
speed costs is read in the same run: the configured path's DER against the torch path's
own output (0 % = the same speakers at the same times).

WAV: default bench/work/feature_4x_speech_10min.wav (bench/run.py's feature-length
track: espeak-ng dialogue, each repeat followed by as long again of quiet room noise);
--minutes cuts its first M minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

WORK = BENCH / "work" / "diar"
SECTION = yaml.safe_load((ROOT / "config.yaml").read_text())


def settings() -> dict[str, dict]:
    d = SECTION["diarization"]
    return {
        "previous (torch, every window)": {
            "segmentation_runtime": "torch",
            "skip_nonspeech_windows": False,
        },
        "configured": {
            "segmentation_runtime": d["segmentation_runtime"],
            "skip_nonspeech_windows": d["skip_nonspeech_windows"],
        },
    }


def one(wav: Path, regions: Path, override: dict, threads: int, out: Path) -> None:
    """The stage's own code on one WAV (a fresh process), timed."""
    from subsmith.media.audio import read_wav
    from subsmith.speakers import diarization

    opts = diarization.DiarizationOptions.from_config({**SECTION["diarization"], **override})
    pipeline, about = diarization.load_pipeline(opts, threads)
    samples = read_wav(wav)
    speech = json.loads(regions.read_text())
    t, cpu = time.perf_counter(), time.process_time()
    turns = diarization.diarize(pipeline, samples, opts, speech=speech)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    ran, total = pipeline.window_runner.windows_run()  # the stage's own count
    out.write_text(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "audio": len(samples) / 16000,
                "turns": turns,
                "runtime": about["segmentation_runtime"],
                "windows_run": ran / max(total, 1),
            }
        )
    )


def run(wav: Path, regions: Path, override: dict, threads: int) -> dict:
    with (
        tempfile.NamedTemporaryFile(suffix=".rss") as rss,
        tempfile.NamedTemporaryFile(suffix=".json") as js,
    ):
        cmd = [sys.executable, __file__, str(wav), "--one", json.dumps(override)]
        cmd += ["--regions", str(regions), "--threads", str(threads), "--json", js.name]
        p = subprocess.run(
            [sys.executable, str(BENCH / "peak.py"), rss.name, *cmd],
            capture_output=True,
            text=True,
            check=False,
        )
        if p.returncode != 0:
            raise SystemExit(f"{cmd}: {p.stderr.strip().splitlines()[-1:]}")
        info = json.loads(Path(js.name).read_text())
        info["peak_rss_mb"] = int(Path(rss.name).read_text()) / 1024
        return info


def der(reference: list[dict], hypothesis: list[dict]) -> float:
    from diar_score import annotation
    from pyannote.metrics.diarization import DiarizationErrorRate

    return DiarizationErrorRate(collar=0.0, skip_overlap=False)(
        annotation(reference), annotation(hypothesis)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wav", nargs="?", type=Path, default=BENCH / "work/feature_4x_speech_10min.wav")
    ap.add_argument("--minutes", type=float, default=0.0, help="first M minutes only (0: all)")
    ap.add_argument("--threads", type=int, default=2, help="the rule's threads")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--regions", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    if args.one:
        one(args.wav, args.regions, json.loads(args.one), args.threads, args.json)
        return
    if not args.wav.is_file():
        ap.error(f"{args.wav}: no such WAV (make it with `python bench/run.py --only pipeline`)")
    import soundfile as sf

    from subsmith.speech.vad import silero

    wav = args.wav
    if args.minutes:
        WORK.mkdir(parents=True, exist_ok=True)
        wav = WORK / f"{args.wav.stem}-{args.minutes:g}min.wav"
        if not wav.exists():
            frames = int(args.minutes * 60 * 16000)
            data, rate = sf.read(str(args.wav), dtype="float32", frames=frames)
            sf.write(str(wav), data, rate, subtype="PCM_16")
    found = silero.detect_speech(str(wav), silero.VadOptions.from_config(SECTION["silero_vad"]))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(found, f)
    regions = Path(f.name)
    results = {}
    try:
        for name, override in settings().items():
            print(f"[{name}] {override}", flush=True)
            results[name] = run(wav, regions, override, args.threads)
    finally:
        regions.unlink()
    base = next(iter(results.values()))
    audio_h = base["audio"] / 3600
    speech = sum(r["end"] - r["start"] for r in found)
    lines = [
        "# Diarization on a film-like track: torch's path beside the configured one",
        "",
        f"Written by `python bench/diar_film.py {args.wav.name}"
        + (f" --minutes {args.minutes:g}" if args.minutes else "")
        + f"` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPU cores, "
        f"{args.threads} threads, load average {os.getloadavg()[0]:.1f} at the end (the "
        "machine is shared: compare the rows only with each other, CPU time first).",
        "",
        f"Track: `{wav.name}`, {base['audio'] / 60:.1f} min, Silero speech "
        f"{speech / 60:.1f} min. Each row is the stage's own code (`subsmith.speakers.diarization`, "
        "config.yaml's settings with the row's changes) in a fresh process; DER is against "
        "the first row's output (collar 0, overlap scored).",
        "",
        "| setting | segmentation on | windows run | wall min per audio hour | CPU min per audio hour | peak RSS MB | speakers | DER vs first row |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['runtime']} | {100 * r['windows_run']:.0f} % | "
            f"{r['wall'] / audio_h / 60:.2f} | {r['cpu'] / audio_h / 60:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {len({t['speaker'] for t in r['turns']})} | "
            f"{100 * der(base['turns'], r['turns']):.2f} % |"
        )
    (BENCH / "diar_film.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
