# Library discovery, input functions and the start/finish hooks shared by all rules.
import math
import sys

from subsmith import library, manifest, preflight, scriptcheck, shutdown, stages

# Snakemake checks a script: job's script once per job; once per rule is enough
# (subsmith/scriptcheck.py says why, and when it stays out of the way).
scriptcheck.install()

try:
    LIBRARY = library.discover(config["input_dir"], config["extensions"])
except library.LibraryError as exc:
    raise WorkflowError(str(exc))

OUT = config["output_dir"].rstrip("/")
# None with language: auto (the words' language is known only after asr).
LANG = None if config["language"] == "auto" else config["language"]
MOVIE_DIR = f"{OUT}/{{movie}}"


wildcard_constraints:
    movie=r"[^/]+",


def subtitle_files(movie):
    """The sidecars srt_generation writes: {format: path}, srt first.

    With a set language they are the published <movie>.<language>.<fmt>. With
    language: auto the language is known only after asr, so srt_generation writes
    subtitles/<movie>.<fmt> and mux publishes copies named by the detected language
    (<movie>.de.srt) next to final.mkv (README: "Which language")."""
    return {
        fmt: (
            f"{OUT}/{movie}/{movie}.{LANG}.{fmt}"
            if LANG
            else f"{OUT}/{movie}/subtitles/{movie}.{fmt}"
        )
        for fmt in config["subtitles"]["formats"]
    }


def movie_products(movie):
    """What a finished movie keeps. All are targets, so deleting any one of them (say
    asr/transcript.json) re-runs its stage and the stages after it, nothing before."""
    d = f"{OUT}/{movie}"
    return [
        f"{d}/media.json",
        f"{d}/metadata/tmdb_data.json",
        f"{d}/entities/pre_ner.json",
        f"{d}/vad/silero_segments.json",
        f"{d}/vad/pyannote_segments.json",
        f"{d}/diarization/speakers.json",
        f"{d}/diarization/speakers.rttm",
        f"{d}/asr/transcript.json",
        f"{d}/asr/transcript.corrected.json",
        *subtitle_files(movie).values(),
        f"{d}/final.mkv",
    ]


def all_outputs():
    return [f for m in sorted(LIBRARY) for f in movie_products(m)]


def movie_file(wildcards):
    try:
        return str(LIBRARY[wildcards.movie])
    except KeyError:
        raise WorkflowError(
            f"no movie named {wildcards.movie!r} under {config['input_dir']}/ "
            f"(extensions: {', '.join(config['extensions'])})"
        )


def stage_log(stage):
    """Every rule logs its text to logs/ and its outcome to .status/ (both kept on failure)."""
    return {
        "log": f"{MOVIE_DIR}/logs/{stage}.log",
        "status": f"{MOVIE_DIR}/.status/{stage}.json",
    }


def runtime_min(stage):
    """Cluster runtime request: the stage's own timeout plus a margin to record it."""
    return math.ceil(config["timeouts"][stage] / 60) + 5


def check_stage_table(rules):
    """Every stage of subsmith/stages.py is a rule in its area's file, and every rule a stage."""
    problems = stages.rule_problems((r.name, r.snakefile) for r in rules)
    if problems:
        raise WorkflowError("; ".join(problems))


def on_start():
    problems = preflight.check(config, LIBRARY)
    for p in problems:
        print(f"subsmith pre-flight: {p}", file=sys.stderr)
    if problems:
        raise WorkflowError("pre-flight checks failed (see the lines above)")
    for d in manifest.movie_dirs(OUT):
        manifest.close_interrupted(d)
        manifest.write(d, manifest.LIVE)


def on_finish():
    for d in manifest.movie_dirs(OUT):
        manifest.write(d, manifest.FINISHED)
    shutdown.release_scheduler_timers()
