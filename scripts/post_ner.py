"""post_ner: respell the cast's names ASR got wrong, each change with its evidence."""

from subsmith.core.jsonio import read_json, write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.names import post_ner as name_correction


def body(ctx):
    opts = name_correction.PostNerOptions.from_config(ctx.params.post_ner)
    entities = name_correction.usable_entities(read_json(ctx.input.entities), ctx.input.entities)
    result = name_correction.correct_transcript(read_json(ctx.input.transcript), entities, opts)
    write_json_atomic(ctx.output.transcript, result)
    for c in result["corrections"]:
        ctx.log.info(
            "%.2f s: %r -> %r (score %.2f; %s)",
            c["start"],
            c["from"],
            c["to"],
            c["score"],
            "; ".join(c["evidence"]),
        )
    ctx.note(f"{len(result['corrections'])} corrections of names")


run_stage(snakemake, "post_ner", body)
