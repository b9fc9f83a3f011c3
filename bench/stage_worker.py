"""One pipeline stage's body, as scripts/<stage>.py runs it, in a fresh process.

    stage_worker.py demux SRC WAV
    stage_worker.py silero_vad WAV SEGMENTS_JSON THREADS
    stage_worker.py asr WAV SEGMENTS_JSON TRANSCRIPT_JSON THREADS
    stage_worker.py silero_vad_path ... / asr_path ...   # the same, given the WAV's path
                                                          # instead of its samples

The parent measures wall time and peak RSS (os.wait4, which covers ffmpeg too); this
prints one JSON line with the stage's own inner timings.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

from subsmith.core import settings


def main() -> None:
    stage = sys.argv[1]
    cfg = settings.load()
    t0 = time.perf_counter()
    out: dict = {"stage": stage}
    if stage == "demux":
        from subsmith.media import probe as media

        facts = media.demux(sys.argv[2], sys.argv[3], None, logging.getLogger("bench"))
        out["audio_s"] = facts["wav"]["duration"]
    elif stage in ("silero_vad", "silero_vad_path"):
        from subsmith.media import audio as wav
        from subsmith.speech.vad import regions as vad_regions
        from subsmith.speech.vad import silero

        if stage == "silero_vad":
            audio = wav.read_wav(sys.argv[2])
            out["read_s"] = time.perf_counter() - t0
            n = len(audio)
        else:
            audio = sys.argv[2]
            n = wav.wav_blocks(audio)[0]
        opts = silero.VadOptions.from_config(cfg["silero_vad"])
        regions = silero.detect_speech(audio, opts, threads=int(sys.argv[4]))
        result = vad_regions.summary(regions, n / wav.SAMPLE_RATE)
        Path(sys.argv[3]).write_text(json.dumps(result))
        out["regions"] = len(regions)
        out["speech_s"] = result["speech_seconds"]
    elif stage in ("asr", "asr_path"):
        from subsmith.media.audio import read_wav
        from subsmith.speech import asr

        regions = json.loads(Path(sys.argv[3]).read_text())["speech"]
        if stage == "asr":
            audio = read_wav(sys.argv[2])
            out["read_s"] = time.perf_counter() - t0
        else:
            audio = sys.argv[2]
        # One stream (batch_size 0), as this memory measurement has always decoded.
        opts = replace(asr.AsrOptions.from_config(cfg["asr"]), batch_size=0)
        model, _ = asr.load_model(opts.model, "cpu", "int8", int(sys.argv[5]))
        result = asr.transcribe(model, audio, regions, opts, language="en")
        Path(sys.argv[4]).write_text(json.dumps(result))
        out["segments"] = len(result["segments"])
        out["text"] = " ".join(s["text"] for s in result["segments"])[:300]
    else:
        raise SystemExit(f"unknown stage {stage}")
    out["inner_s"] = time.perf_counter() - t0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
