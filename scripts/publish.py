"""mux, as a library run does it (publish.mkv: false): the sidecar beside the movie, where
media servers read it, and published.json; no final.mkv (no copy of the movie)."""

from pathlib import Path

from subsmith import notify
from subsmith.job import run_stage
from subsmith.jsonio import read_json, write_json_atomic
from subsmith.subtitles import publish


def body(ctx):
    opts = publish.PublishOptions.from_config(ctx.params.publish)
    lang = read_json(ctx.input.transcript).get("language") or "und"
    subs = publish.sidecars_of(ctx.input)
    report = publish.publish_movie(
        subs,
        ctx.input.video,
        Path(ctx.output.record).parent,
        lang,
        beside_movie=opts.beside_movie,
        name_in_out=ctx.params.auto,
    )
    told = notify.after_publish(ctx.config, report, ctx.input.video)
    write_json_atomic(ctx.output.record, report)
    for line in report["notes"]:
        ctx.log.warning("%s", line)
    ctx.note("; ".join([publish.summary(report) + "; no final.mkv (publish.mkv: false)", *told]))


run_stage(snakemake, "mux", body)
