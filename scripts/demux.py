"""demux: the movie's speech audio (16 kHz mono WAV on the movie's clock) + ffprobe facts."""

from subsmith.core.jsonio import write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.media import probe as media


def body(ctx):
    opts = media.DemuxOptions.from_config(ctx.params.demux)
    facts = media.demux(
        ctx.input.video,
        ctx.output.wav,
        opts.track_language(ctx.params.language),
        ctx.log,
        ctx.progress,
        audio_stream=opts.audio_stream,
        downmix=opts.downmix,
        original_language=media.original_language(ctx.input.metadata),
    )
    write_json_atomic(ctx.output.media, facts)
    a = facts["audio_stream"]
    ctx.note(
        f"audio {a['choice']}, "
        + (f"{a['downmix']}, " if (a["channels"] or 0) > 2 else "")
        + f"{facts['wav']['duration']:.1f} s"
        + (
            f", padded {facts['movie_clock_offset']} s to the movie's clock"
            if facts["movie_clock_offset"]
            else ""
        )
    )
    if facts["decode_errors"]:
        ctx.note(media.decode_note(facts["decode_errors"]))


run_stage(snakemake, "demux", body)
