"""asr: faster-whisper on the speech regions, with word timestamps."""

from subsmith import asr, speakers
from subsmith.job import run_stage
from subsmith.jsonio import read_json, write_json_atomic
from subsmith.vad import pyannote as pyannote_vad


def body(ctx):
    opts = asr.AsrOptions.from_config(ctx.params.asr)
    regions = read_json(ctx.input.segments)["speech"]
    if ctx.params.combine != "silero":
        other = read_json(ctx.input.pyannote_segments)
        if other.get("status") == "skipped":
            ctx.note(f"pyannote_vad skipped: Silero's regions alone, not {ctx.params.combine}")
        else:
            regions = pyannote_vad.combine(regions, other["speech"], ctx.params.combine)
    model, about = asr.load_model(opts.model, opts.device, opts.compute_type, ctx.threads)
    ctx.log.info("model: %s", about)
    # A path, not samples: only the speech regions of the WAV are read.
    result = asr.transcribe(
        model,
        ctx.input.wav,
        regions,
        opts,
        language=ctx.params.language,
        progress=ctx.progress,
    )
    result.update(about, batch_size=opts.batch_size)
    turns = read_json(ctx.input.speakers).get("turns", [])
    result = speakers.assign_speakers(result, turns)
    write_json_atomic(ctx.output.transcript, result)
    words = sum(len(s["words"]) for s in result["segments"])
    ctx.note(
        f"{about['model']}, {result['language']}: {len(result['segments'])} segments, {words} words"
    )


run_stage(snakemake, "asr", body)
