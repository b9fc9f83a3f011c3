"""mux: final.mkv = every original stream, copied, + the new subtitle track."""

from pathlib import Path

from subsmith import languages, media, sidecars
from subsmith.job import run_stage
from subsmith.jsonio import read_json


def body(ctx):
    opts = media.MuxOptions.from_config(ctx.params.mux)
    lang = read_json(ctx.input.transcript).get("language") or "und"
    result = media.mux(
        ctx.input.video,
        ctx.input.sub_srt,
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
    if ctx.params.publish:
        subs = {k[4:]: v for k, v in ctx.input.items() if k.startswith("sub_")}
        names = sidecars.publish(subs, Path(ctx.output.mkv).parent, lang)
        ctx.note("sidecars: " + ", ".join(p.name for p in names))


run_stage(snakemake, "mux", body)
