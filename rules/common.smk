# Library discovery, input functions and the start/finish hooks shared by all rules.
import math
import os
import sys

from subsmith.harness import (
    existing,
    existing_check,
    interrupt,
    library,
    manifest,
    replace,
    scriptcheck,
    shutdown,
    stages,
    startup,
)
from subsmith.core import jsonio
from subsmith.report import library as report_library

# Snakemake checks a script: job's script once per job; once per rule is enough
# (subsmith/harness/scriptcheck.py says why, and when it stays out of the way).
scriptcheck.install()

try:
    _FOUND = library.discover(
        config["input_dir"], config["extensions"], config["output_dir"]
    )
except library.LibraryError as exc:
    raise WorkflowError(str(exc))
# Movie name (its path under input_dir, no extension) -> input file; out/ mirrors it.
LIBRARY = _FOUND.movies
# Entries that cannot be movies (a name that is not UTF-8, two files for one name): each
# fails alone, as its own demux, with its one-line reason (rule refused_input).
REFUSED = _FOUND.refused

OUT = config["output_dir"].rstrip("/")
# None with language: auto (the words' language is known only after asr).
LANG = None if config["language"] == "auto" else config["language"]
# out/<folder><movie>/: `folder` is the movie's folder under input_dir ("" at the top,
# else "Show/Season 1/"), `movie` its file name; so a movie at the top of in/ is
# simply out/<movie>/, and `{movie}` names its sidecar.
MOVIE_DIR = f"{OUT}/{{folder}}{{movie}}"
# Each per-movie file is named once: in the output: of the rule that writes it, and read
# as rules.<writer>.output.<name>. These two are read by a rule included before their
# writer (the include order in the Snakefile), so they are named here, for both.
TMDB_DATA = f"{MOVIE_DIR}/metadata/tmdb_data.json"  # tmdb writes; demux reads
TRANSCRIPT = f"{MOVIE_DIR}/asr/transcript.json"  # asr writes; post_ner and mux read
# existing: skip: movies that already have a full subtitle in the language are no target;
# each one's manifest says `skipped` and why (subsmith/harness/existing.py). Decided in the main
# process only (a cluster job's own parse of this file has no use for it), and recorded
# by a real run, not a dry run (here, at parse time: a run with nothing to do calls no
# onstart, and a library whose movies are all skipped or done has nothing to do).
# existing: check: the same movies are checked instead (rule existing_check in the
# Snakefile), each one's subtitle in CHECK_SUBTITLES.
EXISTING = library.LibraryOptions.from_config(config).existing
CHECK_SUBTITLES = {}
SKIPPED = (
    {}
    if workflow.remote_exec or workflow.subprocess_exec
    else existing.check_library(
        LIBRARY,
        OUT,
        LANG,
        EXISTING,
        write=not existing.dry_run(sys.argv),
        on_skip=manifest.record_skip,
        subtitles=CHECK_SUBTITLES,
    )
)
# Ctrl-C and SIGTERM stop the running stages at once and record them interrupted.
interrupt.install(OUT)


wildcard_constraints:
    folder=r"(?:.+/)?",
    movie=r"[^/]+",


def movie_key(wildcards):
    return wildcards.folder + wildcards.movie


def subtitle_files(movie_dir, name):
    """The sidecars srt_generation writes: {format: path}, srt first; `name` is the
    movie's file name (cut to fit, subsmith/harness/library.py).

    With a set language they are the published <name>.<language>.<fmt>. With
    language: auto the language is known only after asr, so srt_generation writes
    subtitles/<name>.<fmt> and mux publishes copies named by the detected language
    (<name>.de.srt) next to final.mkv (docs/audio.md: "Which language, which model")."""
    return {
        fmt: (
            f"{movie_dir}/{name}.{LANG}.{fmt}"
            if LANG
            else f"{movie_dir}/subtitles/{name}.{fmt}"
        )
        for fmt in config["srt_generation"]["formats"]
    }


def sdh_files(movie_dir, name):
    """The SDH subtitle srt_generation writes when sound tags are on (sound_events.enabled):
    {"sdh": path}, named as subtitle_files names the SRT with `.sdh` before `.srt` (the
    media servers' hearing-impaired suffix); {} when off."""
    if not config["sound_events"]["enabled"]:
        return {}
    srt = subtitle_files(movie_dir, name)["srt"]
    return {"sdh": srt[: -len(".srt")] + ".sdh.srt"}


def movie_path(pattern, movie):
    """A rule's per-movie output (MOVIE_DIR's {folder}{movie}) for one library movie."""
    folder, _, name = movie.rpartition("/")
    return pattern.format(folder=f"{folder}/" if folder else "", movie=name)


def movie_products(movie):
    """What a finished movie keeps. All are targets, so deleting any one of them (say
    asr/transcript.json) re-runs its stage and the stages after it, nothing before.
    Read from the rules that write them: called by rule all, defined after them all."""
    return [
        movie_path(p, movie)
        for p in [
            rules.demux.output.media,
            rules.tmdb.output.data,
            rules.pre_ner.output.entities,
            rules.silero_vad.output.segments,
            rules.pyannote_vad.output.segments,
            rules.diarization.output.speakers,
            rules.diarization.output.rttm,
            rules.asr.output.transcript,
            rules.post_ner.output.transcript,
            # The sidecars, srt first, and the SDH one when sound tags are on.
            *rules.srt_generation.output,
            # The mux stage: final.mkv (a full copy of the movie) only when publish.mkv
            # asks for it; else the sidecar beside the movie and its record (rule publish).
            (
                rules.mux.output.mkv
                if config["publish"]["mkv"]
                else rules.publish.output.record
            ),
            # Beside the movie: the mux stage does not wait for it (rules/report.smk).
            rules.report.output.html,
        ]
    ]


def all_outputs():
    refused = [
        movie_path(rules.refused_input.output.refused, m) for m in sorted(REFUSED)
    ]
    movies = [m for m in sorted(LIBRARY) if m not in SKIPPED]
    checked = [m for m in sorted(SKIPPED) if EXISTING == "check"]
    return (
        [f for m in movies for f in movie_products(m)]
        + [movie_path(rules.existing_check.output.result, m) for m in checked]
        + refused
    )


def publish_params():
    """Rule publish's `publish:` settings. Off, replace_original is left out (so are the
    mux settings it needs): a library published before it existed, or with it off, is
    not published again for a changed param (Snakemake reruns a rule whose params change).
    """
    found = {k: v for k, v in config["publish"].items() if k != "replace_original"}
    if config["publish"]["replace_original"]:
        found.update(replace_original=True, mux=config["mux"])
    return found


def existing_subtitle(wildcards):
    """existing: check's subtitle of the movie (a sidecar path, or an embedded stream):
    this run's decision, or (a job's own parse of the Snakefile) the one recorded."""
    key = movie_key(wildcards)
    found = CHECK_SUBTITLES.get(key) or (existing.record(f"{OUT}/{key}") or {}).get(
        "subtitle"
    )
    if not found:
        raise WorkflowError(
            f"{OUT}/{key}: no existing subtitle recorded to check; run the whole "
            "library with existing: check rather than this target"
        )
    return found


def existing_sidecar(wildcards):
    """The sidecar existing_check reads, as its input (none for an embedded track)."""
    return [s for s in [existing_subtitle(wildcards).get("sidecar")] if s is not None]


def work_file(path):
    """A file only the stages need (audio.wav: 220 MB for a 2-hour film): temp() unless
    keep_work_files is true."""
    keep = library.LibraryOptions.from_config(config).keep_work_files
    return path if keep else temp(path)


def movie_file(wildcards):
    key = movie_key(wildcards)
    if key in LIBRARY:
        return str(LIBRARY[key])
    raise WorkflowError(
        REFUSED.get(key)
        or f"no movie named {key!r} under {config['input_dir']}/ "
        f"(extensions: {', '.join(config['extensions'])})"
    )


def input_identity(wildcards):
    """demux's params hold the input's size, inode and ctime: a replaced movie changes
    them, and Snakemake's params trigger reruns it from demux, whatever its mtime."""
    # A movie subsmith replaced itself (publish.replace_original) keeps its original's.
    return replace.identity(f"{OUT}/{movie_key(wildcards)}", movie_file(wildcards))


def refusal(wildcards):
    key = movie_key(wildcards)
    # One dict: Snakemake formats a top-level string param (a name may hold braces).
    return {"reason": REFUSED.get(key) or f"{key!r} is not a refused library entry"}


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
    """Every stage of subsmith/harness/stages.py is a rule in its area's file, and every rule a stage."""
    problems = stages.rule_problems((r.name, r.snakefile) for r in rules)
    if problems:
        raise WorkflowError("; ".join(problems))


def on_start():
    # Snakemake's scheduler, built just before, made SIGTERM wait for the running jobs.
    interrupt.take_sigterm()
    problems = startup.check(config, LIBRARY)
    for p in problems:
        print(f"subsmith pre-flight: {p}", file=sys.stderr)
    if problems:
        raise WorkflowError("pre-flight checks failed (see the lines above)")
    record_identities()
    for d in manifest.movie_dirs(OUT):
        jsonio.sweep_stale_temps(
            d
        )  # what a killed writer left (subsmith/core/jsonio.py)
        replace.sweep(
            d
        )  # and a killed replacement of the movie (subsmith/harness/replace.py)
        manifest.close_interrupted(d)
        manifest.write(d, manifest.LIVE)


def record_identities():
    """Note in each movie's manifest when its input was replaced (see input_identity)."""
    for movie, path in LIBRARY.items():
        if os.path.isdir(f"{OUT}/{movie}"):
            try:
                library.record_identity(
                    f"{OUT}/{movie}", replace.identity(f"{OUT}/{movie}", path)
                )
            except OSError:
                pass  # gone or unreadable: demux says so, for this movie alone


def on_finish():
    record_identities()
    for d in manifest.movie_dirs(OUT):
        manifest.write(d, manifest.FINISHED)
    # out/index.html, one row per movie: never fails the run (one line on stderr).
    report_library.write_index_quietly(OUT)
    shutdown.release_scheduler_timers()
