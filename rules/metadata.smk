# What the movie is and who is in it: TMDB, or the .nfo/.json a media server left beside it.
from subsmith.metadata import sidecars


rule tmdb:
    input:
        video=movie_file,
        # The .nfo/.json beside the movie: inputs, so adding or editing one reruns tmdb.
        sidecars=lambda wc: sidecars.find(movie_file(wc), config["extensions"]),
    output:
        data=TMDB_DATA,
    log:
        **stage_log("tmdb"),
    conda:
        "../envs/metadata.yaml"
    threads: config["threads"]["tmdb"]
    resources:
        mem_mb=config["mem_mb"]["tmdb"],
        runtime=runtime_min("tmdb"),
    params:
        timeout=config["timeouts"]["tmdb"],
        # The key or token is read from the environment inside the job: never a param,
        # so it is in no command line, no Snakemake metadata and no log.
        tmdb=config["tmdb"],
        language=config["language"],
        input_dir=config["input_dir"],
        extensions=config["extensions"],
    script:
        "../scripts/tmdb.py"
