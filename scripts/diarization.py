"""diarization: who speaks when, so subtitles can mark a change of speaker."""

from pathlib import Path

from subsmith.core.errors import SkipStage
from subsmith.core.jsonio import read_json, write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.media.audio import read_wav
from subsmith.speakers import diarization


def body(ctx):
    opts = diarization.DiarizationOptions.from_config(ctx.params.diarization)
    if not opts.enabled:
        raise SkipStage("diarization.enabled is false: subtitles carry no speakers")
    speech = read_json(ctx.input.segments)["speech"]
    if not speech:
        result = diarization.no_speech("Silero VAD found no speech: no speaker to find")
    else:
        pipeline, about = diarization.load_pipeline(opts, ctx.threads)
        ctx.log.info("pipeline: %s", about)
        turns = diarization.diarize(pipeline, read_wav(ctx.input.wav), opts, ctx.progress, speech)
        result = diarization.summary(turns, about)
        if not turns:
            result["reason"] = "the segmentation model found no speech: no speaker"
    write_json_atomic(ctx.output.speakers, result)
    Path(ctx.output.rttm).write_text(
        diarization.to_rttm(result["turns"], ctx.wildcards.movie), encoding="utf-8"
    )
    ctx.note(
        result.get("reason") or f"{result['num_speakers']} speakers, {len(result['turns'])} turns"
    )


run_stage(snakemake, "diarization", body)
