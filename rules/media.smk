rule demux:
    input:
        video=movie_file,
        # The original language breaks ties between audio tracks, so tmdb runs first and
        # a tie never depends on scheduling. ancient(): a later tmdb rerun (an edited
        # .nfo) does not redo the audio and everything after it.
        metadata=ancient(TMDB_DATA),
    output:
        # keep_work_files: false (the default): Snakemake deletes it once every stage that
        # reads it has run, and a later run does not redo the movie because it is gone.
        wav=work_file(f"{MOVIE_DIR}/audio/audio.wav"),
        media=f"{MOVIE_DIR}/media.json",
    log:
        **stage_log("demux"),
    conda:
        "../envs/media.yaml"
    threads: config["threads"]["demux"]
    resources:
        mem_mb=config["mem_mb"]["demux"],
        runtime=runtime_min("demux"),
    params:
        timeout=config["timeouts"]["demux"],
        demux=config["demux"],
        language=config["language"],
        input_identity=input_identity,
    script:
        "../scripts/demux.py"


rule mux:
    input:
        **{
            f"sub_{fmt}": path
            for fmt, path in subtitle_files(MOVIE_DIR, "{movie}").items()
        },
        **sdh_files(MOVIE_DIR, "{movie}"),
        video=movie_file,
        transcript=TRANSCRIPT,
    output:
        mkv=f"{MOVIE_DIR}/final.mkv",
    log:
        **stage_log("mux"),
    conda:
        "../envs/media.yaml"
    threads: config["threads"]["mux"]
    resources:
        mem_mb=config["mem_mb"]["mux"],
        runtime=runtime_min("mux"),
    params:
        timeout=config["timeouts"]["mux"],
        # One dict: Snakemake formats top-level string params with the wildcards, and
        # the title template's {language_name} is ours, not a wildcard.
        mux=config["mux"],
        # language: auto: copy the sidecars to <movie>.<detected language>.<fmt>.
        publish=LANG is None,
        # The sidecar beside the movie too (publish.beside_movie), as a library run does.
        beside_movie=config["publish"]["beside_movie"],
    script:
        "../scripts/mux.py"
