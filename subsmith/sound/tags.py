"""From YAMNet's class scores to SDH sound tags: the class->tag table and the events.

The table lives in config (the `sound_events:` section, `tags:`): each tag names its text
("[door slams]"), the AudioSet classes whose highest score is the tag's score, its
threshold, and whether it is on. A tag's event is a run of patches (0.96 s each, every
0.48 s) whose tag score reaches the threshold; runs of one tag closer than `merge_gap_s`
join, and an event shorter than `min_event_s` is dropped.

An event's times are those of its patches' centres, each patch owning the hop around its
centre: from half a hop before the first firing patch's centre to half a hop after the
last one's. A loud sound fires a patch it fills only the last third of, so the patch's
own start would put the tag up to 0.66 s before the sound is heard; the centre lies
within half a hop of it (the SDH shows the tag when the sound starts, ±0.5 s). The stage
then moves each start to its sound's onset where a clear one is heard (onsets.py;
bench/sound_onsets.md). bench/sound_events.md measures which tags earn being on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .yamnet import PATCH_HOP_SECONDS, PATCH_SECONDS, class_names


@dataclass(frozen=True)
class TagRule:
    """One SDH tag: its text, the AudioSet classes behind it, its threshold, on or off."""

    name: str
    text: str
    classes: tuple[str, ...]
    threshold: float
    enabled: bool

    def indices(self, names: Sequence[str]) -> list[int]:
        """The model's output columns of this tag's classes (an unknown name is an error)."""
        where = {n: i for i, n in enumerate(names)}
        missing = [c for c in self.classes if c not in where]
        if missing:
            raise ValueError(f"sound tag {self.name}: unknown AudioSet classes {missing}")
        return [where[c] for c in self.classes]


@dataclass(frozen=True)
class SoundOptions:
    """The `sound_events:` config section."""

    enabled: bool
    min_event_s: float  # shorter events are dropped
    merge_gap_s: float  # events of one tag closer than this join
    tags: tuple[TagRule, ...]

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> SoundOptions:
        section = cfg["sound_events"] if "sound_events" in cfg else cfg
        missing = [k for k in ("enabled", "min_event_s", "merge_gap_s", "tags") if k not in section]
        if missing:
            raise ValueError(f"config section sound_events: missing {missing}")
        tags = []
        for name, t in section["tags"].items():
            tags.append(
                TagRule(
                    name=name,
                    text=str(t["text"]),
                    classes=tuple(t["classes"]),
                    threshold=float(t["threshold"]),
                    enabled=bool(t["enabled"]),
                )
            )
        return cls(
            enabled=bool(section["enabled"]),
            min_event_s=float(section["min_event_s"]),
            merge_gap_s=float(section["merge_gap_s"]),
            tags=tuple(tags),
        )

    def active(self) -> tuple[TagRule, ...]:
        return tuple(t for t in self.tags if t.enabled)


def tag_scores(scores: np.ndarray, rule: TagRule, names: Sequence[str] | None = None) -> np.ndarray:
    """[N] a tag's score per patch: the highest score of its classes."""
    cols = rule.indices(names or class_names())
    return np.asarray(scores, np.float32)[:, cols].max(axis=1)


def runs(score: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """(first, last) patch of each run of patches scoring at least `threshold`."""
    hot = np.asarray(score) >= threshold
    out = []
    i = 0
    n = len(hot)
    while i < n:
        if hot[i]:
            j = i
            while j + 1 < n and hot[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def tag_events(
    score: np.ndarray,
    rule: TagRule,
    *,
    min_event_s: float,
    merge_gap_s: float,
    duration: float | None = None,
) -> list[dict[str, Any]]:
    """One tag's events from its per-patch scores, in time order."""
    events: list[dict[str, Any]] = []
    for first, last in runs(score, rule.threshold):
        centre = PATCH_SECONDS / 2  # a patch's centre, from its start
        start = max(0.0, first * PATCH_HOP_SECONDS + centre - PATCH_HOP_SECONDS / 2)
        end = last * PATCH_HOP_SECONDS + centre + PATCH_HOP_SECONDS / 2
        if duration is not None:
            end = min(end, duration)
        top = float(np.max(score[first : last + 1]))
        if events and start - events[-1]["end"] <= merge_gap_s:
            events[-1]["end"] = max(events[-1]["end"], end)
            events[-1]["score"] = max(events[-1]["score"], top)
            continue
        events.append({"start": start, "end": end, "score": top})
    return [
        {
            "tag": rule.name,
            "text": rule.text,
            "start": round(e["start"], 3),
            "end": round(e["end"], 3),
            "score": round(e["score"], 3),
        }
        for e in events
        if e["end"] - e["start"] >= min_event_s
    ]


def events(
    scores: np.ndarray,
    opts: SoundOptions,
    *,
    duration: float | None = None,
    rules: Sequence[TagRule] | None = None,
    names: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Every enabled tag's events ([{"tag", "text", "start", "end", "score"}]) in time
    order; `rules` overrides which tags (the bench scores the ones that are off too)."""
    names = names or class_names()
    out: list[dict[str, Any]] = []
    for rule in opts.active() if rules is None else rules:
        out += tag_events(
            tag_scores(scores, rule, names),
            rule,
            min_event_s=opts.min_event_s,
            merge_gap_s=opts.merge_gap_s,
            duration=duration,
        )
    return sorted(out, key=lambda e: (e["start"], e["tag"]))


def detect(
    wav: str,
    opts: SoundOptions,
    *,
    threads: int = 1,
    speech: Sequence[dict[str, float]] = (),
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """events/sound_events.json of a 16 kHz mono WAV (read a chunk at a time): the
    enabled tags' events, each start moved to its sound's onset where one is clear
    (onsets.py; `speech`: Silero's regions, which no start moves across), the tags and
    thresholds used, the model."""
    from ..media.audio import SAMPLE_RATE, WavSlices, wav_frames
    from ..subtitles.hallucination import clear_voice_spans
    from .onsets import refine_starts
    from .yamnet import frame_scores, model_label

    duration = wav_frames(wav) / SAMPLE_RATE

    def step(done: int, total: int) -> None:
        if progress:
            progress(done / max(1, total), f"{done}/{total} patches")

    scores = frame_scores(wav, threads=threads, progress=step)
    found = events(scores, opts, duration=duration)
    found = refine_starts(found, WavSlices(wav), SAMPLE_RATE, clear_voice_spans(speech))
    return {
        "status": "success",
        "model": model_label(),
        "duration": round(duration, 3),
        "tags": {t.name: {"text": t.text, "threshold": t.threshold} for t in opts.active()},
        "min_event_s": opts.min_event_s,
        "merge_gap_s": opts.merge_gap_s,
        "events": found,
    }
