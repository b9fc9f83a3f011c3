"""demux: the movie's speech audio (16 kHz mono WAV on the movie's clock) + ffprobe facts."""

from subsmith import media
from subsmith.job import run_stage
from subsmith.jsonio import write_json_atomic


def body(ctx):
    facts = media.demux(
        ctx.input.video, ctx.output.wav, ctx.params.audio_language, ctx.log, ctx.progress
    )
    write_json_atomic(ctx.output.media, facts)
    a = facts["audio_stream"]
    ctx.note(
        f"audio stream #{a['index']} ({a['codec']}, {a['language'] or 'no language tag'}), "
        f"{facts['wav']['duration']:.1f} s"
        + (
            f", padded {facts['movie_clock_offset']} s to the movie's clock"
            if facts["movie_clock_offset"]
            else ""
        )
    )


run_stage(snakemake, "demux", body)
