"""What every VAD stage writes: speech regions in seconds and their summary.

silero_vad writes vad/silero_segments.json with it, and the next VAD stages write the
same shape, so ASR, diarization and the hallucination filter read any of them alike.
"""

from __future__ import annotations

from typing import Any

from ...media.audio import SAMPLE_RATE


def summary(regions: list[dict[str, float]], duration: float) -> dict[str, Any]:
    """The segments file: {"sample_rate", "duration", "speech_seconds", "speech": regions}."""
    speech = sum(r["end"] - r["start"] for r in regions)
    return {
        "sample_rate": SAMPLE_RATE,
        "duration": round(duration, 3),
        "speech_seconds": round(speech, 3),
        "speech": regions,
    }
