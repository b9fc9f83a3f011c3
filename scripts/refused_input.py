"""refused_input: a library entry that cannot be a movie fails alone, with its reason."""

from subsmith.core.errors import StageError
from subsmith.harness.job import run_stage


def body(ctx):
    raise StageError(ctx.params.refused["reason"])


run_stage(snakemake, "demux", body)
