"""mux: final.mkv = every original stream, copied, + the new subtitle track (none when
there was no speech), + the SDH track when sound tags are on."""

import os
from pathlib import Path

from subsmith.core import languages
from subsmith.core.jsonio import read_json, write_json_atomic
from subsmith.harness import manifest, notify
from subsmith.harness.job import run_stage
from subsmith.media import mux
from subsmith.subtitles import publish


def body(ctx):
    opts = mux.MuxOptions.from_config(ctx.params.mux)
    lang = read_json(ctx.input.transcript).get("language") or "und"
    # An empty SRT (srt_generation: no speech) cannot be muxed: final.mkv gets no new track.
    srt = ctx.input.sub_srt if os.path.getsize(ctx.input.sub_srt) else None
    sdh = ctx.input.get("sdh")
    sdh = sdh if sdh and os.path.getsize(sdh) else None
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
        sdh=sdh,
        sdh_title=opts.track_title(lang, sdh=True),
    )
    if result["read_errors"]:
        ctx.note(
            f"damaged file: ffmpeg reported {result['read_errors']} errors reading it; "
            "its streams were copied as they are"
        )
    if srt is None:
        ctx.note(
            f"{manifest.NO_SPEECH}; {result['streams_copied']} streams copied"
            + (f", SDH track as stream #{result['sdh_track']}" if sdh else "")
        )
        return
    ctx.note(
        f"{result['streams_copied']} streams copied, subtitle track as stream "
        f"#{result['subtitle_track']} ({languages.to_639_2(lang)})"
        + (", timestamps generated (the container lacks some)" if result["genpts"] else "")
        + (f", {result['covers']} cover picture(s) kept" if result["covers"] else "")
        + (f", SDH track as stream #{result['sdh_track']}" if sdh else "")
    )
    if ctx.params.publish:  # language: auto: name the sidecars by the detected language
        subs = publish.sidecars_of(ctx.input)
        names = publish.publish(subs, Path(ctx.output.mkv).parent, lang)
        ctx.note("sidecars: " + ", ".join(p.name for p in names))
    beside(ctx, lang)


def beside(ctx, lang):
    """publish.beside_movie: the sidecar beside the movie too, and published.json, the
    record a library run (rule publish) writes."""
    if not ctx.params.beside_movie:
        return
    subs = publish.sidecars_of(ctx.input)
    movie_dir = Path(ctx.output.mkv).parent
    report = publish.publish_movie(
        subs, ctx.input.video, movie_dir, lang, beside_movie=True, name_in_out=False
    )
    told = notify.after_publish(ctx.config, report, ctx.input.video)
    write_json_atomic(movie_dir / publish.REPORT, report)
    for line in report["notes"]:
        ctx.log.warning("%s", line)
    ctx.note("; ".join(x for x in [publish.summary(report), *told] if x))


run_stage(snakemake, "mux", body)
