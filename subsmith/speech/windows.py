"""Speech regions packed into the decoder's 30 s windows, and ASR's progress.

faster-whisper's collect_chunks rule (a region that does not fit starts a new window),
with one change: a region longer than a window is cut at its quietest 20 ms near the
window's end instead of being heard only for its first 30 s (bench/asr_profile.md:
filling every window that way, "dense packing", was measured and not kept).
"""

from __future__ import annotations

import numpy as np

from ..media.audio import SAMPLE_RATE, WavSlices


def speech_before(chunks: list[dict[str, int]], t: float) -> float:
    """Seconds of speech (of `chunks`, in samples) before movie time t: ASR progress."""
    at = t * SAMPLE_RATE
    return sum(max(0, min(at, c["end"]) - c["start"]) for c in chunks) / SAMPLE_RATE


# A region longer than a window (pack) is cut at its quietest 20 ms within the last
# CUT_SEARCH_SECONDS before the window's end; the rest starts the next window.
CUT_SEARCH_SECONDS = 1.5
FRAME = SAMPLE_RATE // 50  # 20 ms, Whisper's time step


def pack(
    chunks: list[dict[str, int]],
    max_samples: float,
    audio: np.ndarray | WavSlices | None = None,
) -> list[list[dict[str, int]]]:
    """Chunks in windows of at most max_samples of speech, in order: faster-whisper's
    collect_chunks rule (a chunk that does not fit starts a new window).

    A chunk longer than a window is, with audio, cut at its quietest 20 ms near the
    window's end (a pause between words, most often), its rest in the next windows;
    whole, the batched decoder heard only its first 30 s. Filling every window this
    way (cutting the chunk that does not fit) was measured and not kept: module
    docstring."""
    windows: list[list[dict[str, int]]] = []
    size = max_samples + 1
    todo = list(reversed(chunks))
    while todo:
        c = todo.pop()
        n = c["end"] - c["start"]
        if size + n > max_samples:
            windows.append([])
            size = 0
            if audio is not None and n > max_samples >= SAMPLE_RATE:  # 0: a window a chunk
                edge = c["start"] + int(max_samples)
                lo = max(c["start"] + FRAME, edge - int(CUT_SEARCH_SECONDS * SAMPLE_RATE))
                cut = _quietest(audio, lo, edge)
                windows[-1].append({"start": c["start"], "end": cut})
                todo.append({"start": cut, "end": c["end"]})
                size = max_samples + 1
                continue
        windows[-1].append(c)
        size += n
    return windows


def _quietest(audio: np.ndarray | WavSlices, lo: int, edge: int) -> int:
    """The middle of the quietest 20 ms frame between samples lo and edge."""
    frames = max(1, (edge - lo) // FRAME)
    x = np.asarray(audio[edge - frames * FRAME : edge], np.float32).reshape(frames, FRAME)
    k = int(np.argmin(np.mean(x * x, axis=1)))
    return edge - frames * FRAME + k * FRAME + FRAME // 2
