# subsmith: a movie library in, subtitled movies out.
#   snakemake --cores 8                       every movie under in/
#   snakemake --cores 8 out/Movie/final.mkv   one movie
#   snakemake --cores 8 --dry-run             what is left to do
import os
import sys

from snakemake.utils import min_version

from subsmith.core.settings import (
    ConfigError,
    canonical as canonical_config,
    upgrade as upgrade_config,
    validate as validate_config,
)

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


# Deprecated section names (vad:, subtitles:) are read as the new ones, with a warning.
upgrade_config(config)
# One line per config error (snakemake.utils.validate prints the whole schema and config).
try:
    validate_config(config)
except ConfigError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
# Language codes in one form: deu, ger and de are all de (Movie.de.srt).
canonical_config(config)


include: "rules/common.smk"
include: "rules/media.smk"
include: "rules/metadata.smk"
include: "rules/names.smk"
include: "rules/speech.smk"
include: "rules/sound.smk"
include: "rules/subtitles.smk"
include: "rules/report.smk"


# A library entry that cannot be a movie (REFUSED in rules/common.smk) fails alone, as
# its demux, with its one-line reason; the rest of the library goes on. No stage.
rule refused_input:
    output:
        refused=f"{MOVIE_DIR}/refused",
    log:
        **stage_log("demux"),
    localrule: True
    conda:
        "envs/media.yaml"
    threads: 1
    resources:
        mem_mb=100,
        runtime=5,
    params:
        refused=refusal,
    script:
        "scripts/refused_input.py"


# The mux stage of a library run without final.mkv (publish.mkv: false, the default): the
# sidecar beside the movie, where media servers read it, and published.json, the record
# of where it went. No copy of the movie. Recorded as the movie's mux stage, as rule mux
# is; a run asks for one of the two (movie_products in rules/common.smk).
rule publish:
    input:
        **{
            f"sub_{fmt}": path
            for fmt, path in subtitle_files(MOVIE_DIR, "{movie}").items()
        },
        **sdh_files(MOVIE_DIR, "{movie}"),
        video=movie_file,
        transcript=rules.asr.output.transcript,
    output:
        record=f"{MOVIE_DIR}/published.json",
    log:
        **stage_log("mux"),
    localrule: True
    conda:
        "envs/media.yaml"
    threads: 1
    resources:
        mem_mb=config["mem_mb"]["mux"],
        runtime=runtime_min("mux"),
    params:
        timeout=config["timeouts"]["mux"],
        publish=publish_params(),
        auto=LANG is None,
    script:
        "scripts/publish.py"


# existing: check (subsmith/harness/existing_check.py): a movie that already has its subtitle gets
# demux and silero_vad, no transcription, and this: how well that subtitle fits the
# speech, in existing_check.json, the subtitle left as it is. No stage of the table: its
# status file is .status/existing_check.json, which the manifest reads.
rule existing_check:
    input:
        # The sidecar itself, when it is one: an edited sidecar is checked again.
        sidecar=existing_sidecar,
        video=movie_file,
        segments=rules.silero_vad.output.segments,
    output:
        result=f"{MOVIE_DIR}/{existing_check.RESULT}",
    log:
        **stage_log(existing_check.STAGE),
    localrule: True
    conda:
        "envs/media.yaml"
    threads: 1
    resources:
        mem_mb=config["mem_mb"]["demux"],
        runtime=runtime_min("demux"),
    params:
        subtitle=existing_subtitle,
        timeout=config["timeouts"]["demux"],
        # Silero's regions start and end this much beyond the words.
        speech_pad_ms=config["silero_vad"]["speech_pad_ms"],
    script:
        "scripts/existing_check.py"


# Last: its targets are the outputs of the rules above (all_outputs in rules/common.smk).
rule all:
    default_target: True
    input:
        all_outputs(),


check_stage_table(workflow.rules)


onstart:
    on_start()


onsuccess:
    on_finish()


onerror:
    on_finish()
