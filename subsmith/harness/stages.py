"""The stage table: the one place that knows the pipeline's stages, their order, which
are critical, and which rules/ file (area) holds each.

Everything else reads it: the Snakefile (every stage a rule of rules/<area>.smk, with its
conda env envs/<area>.yaml, and no rule outside the table), the manifest and its logger
plugin, `subsmith status`, the job harness, the benchmarks and the tests. A stage added
here shows up everywhere in the right place; a rule added without it stops the workflow
at parse time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str  # the rule's name, its scripts/<name>.py, its config section (if any)
    critical: bool  # a failure fails the movie (an optional stage is recorded skipped)
    summary: str
    area: str  # rules/<area>.smk holds the rule, envs/<area>.yaml is its conda env
    # Beside the movie, not on its way: the movie is completed without it and its outcome
    # never changes the movie's status (the report describes the movie; nothing reads it).
    beside: bool = False


STAGES: tuple[Stage, ...] = (
    Stage("demux", True, "16 kHz mono audio and ffprobe facts from the movie", "media"),
    Stage(
        "tmdb",
        False,
        "title, year and cast from TMDB or the .nfo/.json beside the movie",
        "metadata",
    ),
    Stage("pre_ner", False, "the names the metadata expects, in the forms people say", "names"),
    Stage("silero_vad", True, "speech regions (Silero VAD)", "speech"),
    # Off by default (sound_events.enabled): recorded skipped (bench/sound_events.md).
    # Beside the movie until an SDH writer reads it: only the report does, so a run for
    # final.mkv alone leaves it pending without holding the movie back.
    Stage(
        "sound_events",
        False,
        "tagged sound events for the SDH track (YAMNet)",
        "sound",
        beside=True,
    ),
    Stage("pyannote_vad", False, "speech regions (pyannote segmentation-3.0)", "speech"),
    # Critical, unless diarization.enabled is false: then it is recorded skipped.
    Stage("diarization", True, "who speaks when (pyannote.audio)", "speech"),
    Stage("asr", True, "transcript with word times (faster-whisper)", "speech"),
    Stage("post_ner", False, "names ASR misspelled, respelled with evidence", "names"),
    Stage("srt_generation", True, "readable, well-timed subtitle cues", "subtitles"),
    # Reads every stage's outputs; mux does not wait for it (subsmith/report/).
    Stage(
        "report",
        False,
        "report.html: a timeline and where the subtitles can be trusted",
        "report",
        beside=True,
    ),
    # Rule mux (final.mkv), or rule publish (the sidecar beside the movie alone, Snakefile).
    Stage(
        "mux",
        True,
        "the sidecar beside the movie; final.mkv (original streams + the track) when asked",
        "media",
    ),
)

STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)
BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}
AREAS: tuple[str, ...] = tuple(dict.fromkeys(s.area for s in STAGES))

# Rules that are no stage: the default target, the refusal of a library entry that
# cannot be a movie (in the Snakefile; recorded as that entry's demux), and the mux stage
# of a library run without final.mkv (in the Snakefile; recorded as the movie's mux), and
# existing: check's comparison of a movie's own subtitle with its speech (rule
# existing_check in the Snakefile).
NOT_STAGES = frozenset({"all", "refused_input", "publish", "existing_check"})


def next_stage(name: str) -> str | None:
    """The stage that runs after `name`, or None after the last one."""
    i = STAGE_NAMES.index(name)
    return STAGE_NAMES[i + 1] if i + 1 < len(STAGE_NAMES) else None


def rule_problems(rules: Iterable[tuple[str, str]]) -> list[str]:
    """What is wrong between the workflow's rules, as (name, the file defining it), and
    this table: a stage without a rule, a rule in another area's file, a rule that is no
    stage (the manifest would never show it)."""
    problems = []
    found = dict(rules)
    for stage in STAGES:
        where = found.pop(stage.name, None)
        if where is None:
            problems.append(f"stage {stage.name} (subsmith/harness/stages.py) has no rule")
        elif os.path.basename(where) != f"{stage.area}.smk":
            problems.append(
                f"rule {stage.name} is in {os.path.basename(where)}, "
                f"its area's file is rules/{stage.area}.smk"
            )
    for name in sorted(found.keys() - NOT_STAGES):
        problems.append(f"rule {name} is no stage of subsmith/harness/stages.py: add it there")
    return problems
