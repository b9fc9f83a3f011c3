"""silero_vad: where people speak, so ASR decodes speech only."""

from subsmith.core.jsonio import write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.media.audio import SAMPLE_RATE, wav_frames
from subsmith.speech.vad import regions, silero


def body(ctx):
    opts = silero.VadOptions.from_config(ctx.params.silero_vad)
    # A path, not samples: the WAV is read in blocks, so memory does not grow with length.
    found = silero.detect_speech(ctx.input.wav, opts, threads=ctx.threads, progress=ctx.progress)
    result = regions.summary(found, wav_frames(ctx.input.wav) / SAMPLE_RATE)
    result["model"] = f"silero-vad ({silero.MODEL_FILE})"
    write_json_atomic(ctx.output.segments, result)
    ctx.note(f"{len(found)} speech regions, {result['speech_seconds']:.1f} s of speech")


run_stage(snakemake, "silero_vad", body)
