rule srt_generation:
    input:
        # The sound tags of the SDH subtitle, only when sound_events is on.
        **(
            {"events": rules.sound_events.output.events}
            if config["sound_events"]["enabled"]
            else {}
        ),
        transcript=rules.asr.output.transcript,
        corrected=rules.post_ner.output.transcript,
        segments=rules.silero_vad.output.segments,
        # Who speaks when: joined to the words here, where the speakers are shown.
        speakers=rules.diarization.output.speakers,
    output:
        **subtitle_files(MOVIE_DIR, "{movie}"),
        **sdh_files(MOVIE_DIR, "{movie}"),
    log:
        **stage_log("srt_generation"),
    conda:
        "../envs/subtitles.yaml"
    threads: config["threads"]["srt_generation"]
    resources:
        mem_mb=config["mem_mb"]["srt_generation"],
        runtime=runtime_min("srt_generation"),
    params:
        timeout=config["timeouts"]["srt_generation"],
        srt_generation=config["srt_generation"],
    script:
        "../scripts/srt_generation.py"
