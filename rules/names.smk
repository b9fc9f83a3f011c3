# Names spelled right: the names the metadata expects (pre_ner), and the ASR words
# respelled as those names where the evidence says so (post_ner).


rule pre_ner:
    input:
        tmdb=rules.tmdb.output.data,
    output:
        entities=f"{MOVIE_DIR}/entities/pre_ner.json",
    log:
        **stage_log("pre_ner"),
    conda:
        "../envs/names.yaml"
    threads: config["threads"]["pre_ner"]
    resources:
        mem_mb=config["mem_mb"]["pre_ner"],
        runtime=runtime_min("pre_ner"),
    params:
        timeout=config["timeouts"]["pre_ner"],
        pre_ner=config["pre_ner"],
    script:
        "../scripts/pre_ner.py"


rule post_ner:
    input:
        transcript=TRANSCRIPT,
        entities=rules.pre_ner.output.entities,
    output:
        transcript=f"{MOVIE_DIR}/asr/transcript.corrected.json",
    log:
        **stage_log("post_ner"),
    conda:
        "../envs/names.yaml"
    threads: config["threads"]["post_ner"]
    resources:
        mem_mb=config["mem_mb"]["post_ner"],
        runtime=runtime_min("post_ner"),
    params:
        timeout=config["timeouts"]["post_ner"],
        post_ner=config["post_ner"],
    script:
        "../scripts/post_ner.py"
