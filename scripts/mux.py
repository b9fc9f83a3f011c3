"""mux: final.mkv = every original stream, copied, + the new subtitle track."""

from subsmith import languages, media
from subsmith.job import run_stage
from subsmith.jsonio import read_json


def body(ctx):
    opts = media.MuxOptions.from_config(ctx.params.mux)
    lang = read_json(ctx.input.transcript).get("language") or "und"
    result = media.mux(
        ctx.input.video,
        ctx.input.srt,
        ctx.output.mkv,
        language=lang,
        title=opts.track_title(lang),
        default=opts.default,
        forced=opts.forced,
        log=ctx.log,
        progress=ctx.progress,
    )
    ctx.note(
        f"{result['streams_copied']} streams copied, subtitle track "
        f"#{result['subtitle_track']} ({languages.to_639_2(lang)})"
    )


run_stage(snakemake, "mux", body)
