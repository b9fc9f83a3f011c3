rule silero_vad:
    input:
        wav=f"{MOVIE_DIR}/audio/audio.wav",
    output:
        segments=f"{MOVIE_DIR}/vad/silero_segments.json",
    log:
        **stage_log("silero_vad"),
    conda:
        "../envs/speech.yaml"
    threads: config["threads"]["silero_vad"]
    resources:
        mem_mb=config["mem_mb"]["silero_vad"],
        runtime=runtime_min("silero_vad"),
    params:
        timeout=config["timeouts"]["silero_vad"],
        silero_vad=config["silero_vad"],
    script:
        "../scripts/silero_vad.py"


rule asr:
    input:
        wav=f"{MOVIE_DIR}/audio/audio.wav",
        segments=f"{MOVIE_DIR}/vad/silero_segments.json",
    output:
        transcript=f"{MOVIE_DIR}/asr/transcript.json",
    log:
        **stage_log("asr"),
    conda:
        "../envs/speech.yaml"
    threads: config["threads"]["asr"]
    resources:
        mem_mb=config["mem_mb"]["asr"],
        runtime=runtime_min("asr"),
        gpu=config["gpus"],
    params:
        timeout=config["timeouts"]["asr"],
        asr=config["asr"],
        language=None if config["language"] == "auto" else config["language"],
    script:
        "../scripts/asr.py"
