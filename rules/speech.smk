rule silero_vad:
    input:
        wav=rules.demux.output.wav,
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


rule pyannote_vad:
    input:
        wav=rules.demux.output.wav,
        # Not read: it keeps the stage order (a movie stopped by silero_vad goes no further).
        silero=rules.silero_vad.output.segments,
    output:
        segments=f"{MOVIE_DIR}/vad/pyannote_segments.json",
    log:
        **stage_log("pyannote_vad"),
    conda:
        "../envs/speech.yaml"
    threads: config["threads"]["pyannote_vad"]
    resources:
        mem_mb=config["mem_mb"]["pyannote_vad"],
        runtime=runtime_min("pyannote_vad"),
    params:
        timeout=config["timeouts"]["pyannote_vad"],
        pyannote_vad=config["pyannote_vad"],
    script:
        "../scripts/pyannote_vad.py"


rule diarization:
    input:
        wav=rules.demux.output.wav,
        segments=rules.silero_vad.output.segments,
    output:
        speakers=f"{MOVIE_DIR}/diarization/speakers.json",
        rttm=f"{MOVIE_DIR}/diarization/speakers.rttm",
    log:
        **stage_log("diarization"),
    # asr does not wait for it (srt_generation joins the speakers): where both wait for
    # cores, diarization goes first, so the stages finish in the table's order.
    priority: 1
    conda:
        "../envs/speech.yaml"
    threads: config["threads"]["diarization"]
    resources:
        mem_mb=config["mem_mb"]["diarization"],
        runtime=runtime_min("diarization"),
        gpu=config["gpus"],
    params:
        timeout=config["timeouts"]["diarization"],
        diarization=config["diarization"],
    script:
        "../scripts/diarization.py"


rule asr:
    input:
        wav=rules.demux.output.wav,
        segments=rules.silero_vad.output.segments,
        pyannote_segments=rules.pyannote_vad.output.segments,
        entities=rules.pre_ner.output.entities,
    output:
        transcript=TRANSCRIPT,
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
        combine=config["pyannote_vad"]["combine"],
        language=None if config["language"] == "auto" else config["language"],
        bias=config["pre_ner"]["bias"],
        heard=config["pre_ner"]["heard"],
    script:
        "../scripts/asr.py"
