# Where the subtitles can be trusted: out/<movie>/report.html (a timeline, the movie's
# facts, a quality estimate per movie and per cue) and report.json (its summary, read by
# out/index.html and `subsmith status`). Optional: it never fails a movie, and mux does
# not wait for it.


rule report:
    input:
        # Read for the loudness lane: an input, so a temporary audio.wav is kept until
        # the report has read it.
        wav=rules.demux.output.wav,
        media=rules.demux.output.media,
        segments=rules.silero_vad.output.segments,
        # Not read by the report yet: it makes the optional sound_events stage run (and
        # be recorded skipped) when it is off; srt_generation reads it only when it is on.
        sound_events=rules.sound_events.output.events,
        speakers=rules.diarization.output.speakers,
        transcript=rules.asr.output.transcript,
        corrected=rules.post_ner.output.transcript,
        srt=rules.srt_generation.output.srt,
    output:
        html=f"{MOVIE_DIR}/report.html",
        summary=f"{MOVIE_DIR}/report.json",
    log:
        **stage_log("report"),
    conda:
        "../envs/report.yaml"
    threads: config["threads"]["report"]
    resources:
        mem_mb=config["mem_mb"]["report"],
        runtime=runtime_min("report"),
    params:
        timeout=config["timeouts"]["report"],
        report=config["report"],
        max_cps=config["srt_generation"]["max_cps"],
    script:
        "../scripts/report.py"
