"""tmdb: title, year and cast from TMDB (key from the environment) or the sidecars."""

from subsmith.core.errors import SkipStage
from subsmith.core.jsonio import write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.metadata import tmdb


def body(ctx):
    p = ctx.params
    options = tmdb.TmdbOptions.from_config(p.tmdb, p.language)
    data, notes = tmdb.gather(
        ctx.input.video, options, root=p.input_dir, extensions=p.extensions, log=ctx.log
    )
    if data["status"] == "skipped":
        raise SkipStage(data.pop("reason"), record=data)
    write_json_atomic(ctx.output.data, data)
    for n in notes:
        ctx.note(n)


run_stage(snakemake, "tmdb", body)
