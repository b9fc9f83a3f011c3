"""mux: final.mkv = every original stream, copied, + the new subtitle track (none when
there was no speech)."""

import os
from pathlib import Path

from subsmith import languages, manifest, mux
from subsmith.job import run_stage
from subsmith.jsonio import read_json
from subsmith.subtitles import publish


def body(ctx):
    opts = mux.MuxOptions.from_config(ctx.params.mux)
    lang = read_json(ctx.input.transcript).get("language") or "und"
    # An empty SRT (srt_generation: no speech) cannot be muxed: final.mkv gets no new track.
    srt = ctx.input.sub_srt if os.path.getsize(ctx.input.sub_srt) else None
    result = mux.mux(
        ctx.input.video,
        srt,
        ctx.output.mkv,
        language=lang,
        title=opts.track_title(lang),
        default=opts.default,
        forced=opts.forced,
        log=ctx.log,
        progress=ctx.progress,
    )
    if result["read_errors"]:
        ctx.note(
            f"damaged file: ffmpeg reported {result['read_errors']} errors reading it; "
            "its streams were copied as they are"
        )
    if srt is None:
        ctx.note(f"{manifest.NO_SPEECH}; {result['streams_copied']} streams copied")
        return
    ctx.note(
        f"{result['streams_copied']} streams copied, subtitle track as stream "
        f"#{result['subtitle_track']} ({languages.to_639_2(lang)})"
        + (", timestamps generated (the container lacks some)" if result["genpts"] else "")
        + (f", {result['covers']} cover picture(s) kept" if result["covers"] else "")
    )
    if ctx.params.publish:  # language: auto: name the sidecars by the detected language
        subs = {k[4:]: v for k, v in ctx.input.items() if k.startswith("sub_")}
        names = publish.publish(subs, Path(ctx.output.mkv).parent, lang)
        ctx.note("sidecars: " + ", ".join(p.name for p in names))


run_stage(snakemake, "mux", body)
