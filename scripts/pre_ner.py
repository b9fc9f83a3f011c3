"""pre_ner: the names the metadata says will be spoken, in the forms people say them."""

from subsmith.core.jsonio import read_json, write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.names import pre_ner as names


def body(ctx):
    opts = names.PreNerOptions.from_config(ctx.params.pre_ner)
    doc = names.pre_ner(read_json(ctx.input.tmdb) or {}, opts)
    write_json_atomic(ctx.output.entities, doc)
    ctx.note(names.summary(doc))


run_stage(snakemake, "pre_ner", body)
