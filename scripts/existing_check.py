"""existing_check: does the subtitle the movie already has fit its speech (existing: check)?
Nothing of the movie's is changed; existing_check.json says what was found."""

from subsmith.core.jsonio import write_json_atomic
from subsmith.harness import existing_check
from subsmith.harness.job import run_stage


def body(ctx):
    result = existing_check.check(
        dict(ctx.params.subtitle),
        ctx.input.video,
        ctx.input.segments,
        pad=ctx.params.speech_pad_ms / 1000,
        timeout=ctx.params.timeout,
    )
    write_json_atomic(ctx.output.result, result)
    ctx.note(existing_check.summary(result))


run_stage(snakemake, existing_check.STAGE, body)
