# Sound events for the SDH track: events/sound_events.json (subsmith/sound/). Optional and
# off by default (sound_events.enabled): recorded skipped, the movie goes on.


rule sound_events:
    input:
        wav=rules.demux.output.wav,
        # Silero's regions: no tag's start moves across dialogue (subsmith/sound/onsets.py).
        silero=rules.silero_vad.output.segments,
    output:
        events=f"{MOVIE_DIR}/events/sound_events.json",
    log:
        **stage_log("sound_events"),
    conda:
        "../envs/sound.yaml"
    threads: config["threads"]["sound_events"]
    resources:
        mem_mb=config["mem_mb"]["sound_events"],
        runtime=runtime_min("sound_events"),
    params:
        timeout=config["timeouts"]["sound_events"],
        sound_events=config["sound_events"],
    script:
        "../scripts/sound_events.py"
