"""mux, as a library run does it (publish.mkv: false): the sidecar beside the movie, where
media servers read it, and published.json; no final.mkv (no copy of the movie)."""

import os
from pathlib import Path

from subsmith.core.jsonio import read_json, write_json_atomic
from subsmith.harness import notify, replace
from subsmith.harness.job import run_stage
from subsmith.media import mux
from subsmith.subtitles import publish


def body(ctx):
    # replace_original is in the params only when on (publish_params in rules/common.smk).
    opts = publish.PublishOptions.from_config({"replace_original": False, **ctx.params.publish})
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
    if opts.replace_original:
        report["replace_original"] = replaced(ctx, lang, subs.get("srt"))
        if report["replace_original"]["note"]:
            ctx.note(report["replace_original"]["note"])
    told = notify.after_publish(ctx.config, report, ctx.input.video)
    write_json_atomic(ctx.output.record, report)
    for line in report["notes"]:
        ctx.log.warning("%s", line)
    ctx.note("; ".join([publish.summary(report) + "; no final.mkv (publish.mkv: false)", *told]))


def replaced(ctx, lang, srt):
    """publish.replace_original: the movie itself becomes the muxed file (or a note why not)."""
    opts = mux.MuxOptions.from_config(ctx.params.publish["mux"])
    return replace.replace_original(
        ctx.input.video,
        srt if srt and os.path.getsize(srt) else None,
        Path(ctx.output.record).parent,
        language=lang,
        title=opts.track_title(lang),
        default=opts.default,
        forced=opts.forced,
        log=ctx.log,
    )


run_stage(snakemake, "mux", body)
