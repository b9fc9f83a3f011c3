"""sound_events: tagged sound events ([crying], ...) for the SDH track (subsmith/sound/)."""

from subsmith.core.errors import SkipStage
from subsmith.core.jsonio import read_json, write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.sound import tags


def body(ctx):
    opts = tags.SoundOptions.from_config(ctx.params.sound_events)
    if not opts.enabled:
        raise SkipStage("sound_events.enabled is false: no sound tags")
    if not opts.active():
        raise SkipStage("sound_events: no tag is enabled in sound_events.tags")
    speech = read_json(ctx.input.silero)["speech"]
    result = tags.detect(
        ctx.input.wav, opts, threads=ctx.threads, speech=speech, progress=ctx.progress
    )
    write_json_atomic(ctx.output.events, result)
    counts = {}
    for event in result["events"]:
        counts[event["tag"]] = counts.get(event["tag"], 0) + 1
    ctx.note(
        f"{len(result['events'])} sound events"
        + (": " + ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) if counts else "")
    )


run_stage(snakemake, "sound_events", body)
