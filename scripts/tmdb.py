"""tmdb: title, year and cast from TMDB (key from the environment) or the sidecars."""

from subsmith import tmdb
from subsmith.errors import SkipStage
from subsmith.job import run_stage
from subsmith.jsonio import write_json_atomic


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
