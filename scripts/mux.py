"""mux: final.mkv = every original stream, copied, + the new subtitle track."""

from subsmith import languages, media
from subsmith.job import run_stage
from subsmith.jsonio import read_json


def body(ctx):
    lang = read_json(ctx.input.transcript).get("language") or "und"
    result = media.mux(
        ctx.input.video,
        ctx.input.srt,
        ctx.output.mkv,
        language=lang,
        title=ctx.params.mux["title"].format(language_name=languages.name(lang), language=lang),
        default=ctx.params.mux["default"],
        forced=ctx.params.mux["forced"],
        log=ctx.log,
        progress=ctx.progress,
    )
    ctx.note(
        f"{result['streams_copied']} streams copied, subtitle track as stream "
        f"#{result['subtitle_track']} ({languages.to_639_2(lang)})"
        + (", timestamps generated (the container lacks some)" if result["genpts"] else "")
        + (f", {result['covers']} cover picture(s) kept" if result["covers"] else "")
    )


run_stage(snakemake, "mux", body)
