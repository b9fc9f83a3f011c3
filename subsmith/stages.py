"""The stage table: one place that knows the pipeline's order and what is critical.

The manifest, the status command and the Snakefile all read it, so a stage added
here shows up everywhere in the right place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    critical: bool
    summary: str


STAGES: tuple[Stage, ...] = (
    Stage("demux", True, "16 kHz mono audio and ffprobe facts from the movie"),
    Stage("tmdb", False, "title, year and cast from TMDB or the .nfo/.json beside the movie"),
    Stage("pre_ner", False, "the names the metadata expects, in the forms people say"),
    Stage("silero_vad", True, "speech regions (Silero VAD)"),
    Stage("asr", True, "transcript with word times (faster-whisper)"),
    Stage("post_ner", False, "names ASR misspelled, respelled with evidence"),
    Stage("srt_generation", True, "readable, well-timed subtitle cues"),
    Stage("mux", True, "final.mkv: original streams + the subtitle track"),
)

STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)
BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}


def next_stage(name: str) -> str | None:
    """The stage that runs after `name`, or None after the last one."""
    i = STAGE_NAMES.index(name)
    return STAGE_NAMES[i + 1] if i + 1 < len(STAGE_NAMES) else None
