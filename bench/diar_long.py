"""The long track of the diarization bench (bench/diarization.py): DATA_DIR's excerpts end to
end, repeated to --long-minutes, run through the stage's own code in a fresh process
(`bench/diarization.py --one`, under bench/peak.py): wall time, CPU time per step, peak RSS
and the DER against the track's reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import diar_corpora as dc
import diar_extract as de
import diar_score as ds
import diar_settings as dst

BENCH = Path(__file__).resolve().parent


def measure_long(args) -> dict:
    """The long track's figures: measured now, or with --long-saved those of the last
    --long-only run (a 2-hour track takes longer than the rest of the bench; the report
    says when it was measured)."""
    saved = dc.WORK / f"long-{args.long_minutes:g}min.json"
    if args.long_saved:
        for _ in range(120):  # a --long-only run may still be going: wait up to an hour
            if saved.exists():
                return json.loads(saved.read_text())
            time.sleep(30)
        return {"error": [f"no {saved} after an hour: run --long-only first"]}
    print(f"[long] {args.long_minutes:g} minutes", flush=True)
    info = run_long(dc.long_track(args.data_dir, args.long_minutes), args.threads)
    if "turns" in info:
        info["accuracy"] = long_accuracy(args.data_dir, args.long_minutes, info.pop("turns"))
    info["minutes"] = args.long_minutes
    info["threads"] = args.threads
    info["measured"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    info["load"] = round(os.getloadavg()[0], 1)
    if "error" not in info:
        saved.write_text(json.dumps(info))
    return info


def run_long(path: Path, threads: int) -> dict:
    """The new setting on one long WAV in a fresh process: wall time and peak RSS."""
    with (
        tempfile.NamedTemporaryFile(suffix=".rss") as rss,
        tempfile.NamedTemporaryFile(suffix=".json") as js,
    ):
        t = time.perf_counter()
        p = subprocess.run(
            [
                sys.executable,
                str(BENCH / "peak.py"),
                rss.name,
                sys.executable,
                str(BENCH / "diarization.py"),
                "--one",
                str(path),
                "--threads",
                str(threads),
                "--json",
                js.name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t
        if p.returncode != 0:
            return {"error": p.stderr.strip().splitlines()[-1:] or ["failed"]}
        info = json.loads(Path(js.name).read_text())
        info["wall"] = wall
        info["peak_rss_mb"] = int(Path(rss.name).read_text()) / 1024
        return info


def long_accuracy(data_dir: Path, minutes: float, turns: list[dict]) -> dict:
    """DER and the speaker count of the long track's output against long_reference."""
    from pyannote.core import Segment, Timeline

    ref = dc.long_reference(data_dir, minutes)
    hyp = ds.annotation(turns, "long")
    uem = Timeline([Segment(0, minutes * 60)])
    return {
        "der0": ds.der([ds.score_one(ref, hyp, uem, 0.0)]),
        "der25": ds.der([ds.score_one(ref, hyp, uem, 0.25)]),
        "voices": len(ds.voices(hyp)),
        "ref_speakers": len(ref.labels()),
    }


def one(path: Path, out: Path, threads: int) -> None:
    """--one: the stage's own code (subsmith.speakers.diarization with config.yaml's section, the
    audio read as the stage reads it) on one WAV, each of pyannote's steps timed."""
    import torch

    from subsmith.media.audio import read_wav
    from subsmith.speakers import diarization

    opts = diarization.DiarizationOptions.from_config(dst.new_section())
    pipe, _ = diarization.load_pipeline(opts, threads)
    samples = read_wav(path)
    file = {"waveform": torch.from_numpy(samples).reshape(1, -1), "sample_rate": de.SAMPLE_RATE}
    if opts.skip_nonspeech_windows:  # the silero_vad stage's regions, as the stage gets them
        from subsmith.speakers.fast_segmentation import SPEECH_KEY

        file[SPEECH_KEY] = de.silero_regions(path)
    marks = {}

    def hook(step, artifact, file=None, total=None, completed=None):
        if total is None:  # a step's end (progress calls carry total=)
            marks.setdefault(step, (time.perf_counter(), time.process_time()))

    t, cpu = time.perf_counter(), time.process_time()
    ann = pipe(file, hook=hook).speaker_diarization
    end = (time.perf_counter(), time.process_time())
    steps, last = {}, (t, cpu)
    for step in ("segmentation", "speaker_counting", "embeddings"):
        mark = marks.get(step, last)
        steps[step] = {"wall": mark[0] - last[0], "cpu": mark[1] - last[1]}
        last = mark
    steps["clustering and reconstruction"] = {"wall": end[0] - last[0], "cpu": end[1] - last[1]}
    audio = file["waveform"].shape[1] / de.SAMPLE_RATE
    out.write_text(
        json.dumps(
            {
                "seconds": end[0] - t,
                "cpu_seconds": end[1] - cpu,
                "steps": steps,
                "audio": audio,
                "speakers": len(ann.labels()),
                "turns": [
                    {"start": seg.start, "end": seg.end, "speaker": label}
                    for seg, _, label in ann.itertracks(yield_label=True)
                ],
            }
        )
    )
