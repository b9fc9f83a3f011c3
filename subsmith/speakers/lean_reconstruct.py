"""pyannote's diarization reconstruction, one speaker at a time, so memory does not grow with
the number of speakers on a long movie.

pyannote's `reconstruct` builds a (windows, frames, speakers) float64 array of each
speaker's activity in every window (NaN where the speaker is absent), then aggregates it
over the overlapping windows. On a 2-hour track at a 1 s step with ~30 speakers that array
is 7200 x 589 x 30 x 8 bytes = 1 GB, made twice over (`nan * zeros`), and reconstruction runs
twice: the stage's peak RSS passed 3 GB there (bench/diar_long.py; the step alone:
bench/diar_reconstruct_memory.py; the stage's peak now: bench/diarization.md, "Long track").

Aggregation treats each speaker independently, so here the speakers' (windows, frames)
activity is built and aggregated a few at a time (float32, at most BLOCK_BYTES: 7 of the
17 MB speakers of that track; all at once on a short file), and the frame's
`count` most active speakers are kept, as pyannote does. Same output, tested against
pyannote's own on random input (tests/test_clustering.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

BLOCK_BYTES = 128 * 1024 * 1024  # speakers' window activity built at once


def speaker_activations(segmentations: Any, hard_clusters: np.ndarray, frames: Any) -> Any:
    """(output frames, speakers) activity summed over the windows, a few speakers at a time
    (as many as fit in BLOCK_BYTES of float32: all of them on a short file)."""
    from pyannote.audio.core.inference import Inference
    from pyannote.core import SlidingWindowFeature

    data = segmentations.data
    num_chunks, num_frames, _ = data.shape
    speakers = max(int(np.max(hard_clusters)) + 1, 1)
    group = max(1, BLOCK_BYTES // (num_chunks * num_frames * 4))
    columns, window = [], None
    for k0 in range(0, speakers, group):
        ks = range(k0, min(speakers, k0 + group))
        activity = np.full((num_chunks, num_frames, len(ks)), np.nan, dtype=np.float32)
        for j, k in enumerate(ks):
            for c in np.flatnonzero((hard_clusters == k).any(axis=1)):
                activity[c, :, j] = np.max(data[c][:, hard_clusters[c] == k], axis=1)
        aggregated = Inference.aggregate(
            SlidingWindowFeature(activity, segmentations.sliding_window),
            frames,
            hamming=False,
            missing=0.0,
            skip_average=True,
        )
        columns.append(aggregated.data)
        window = aggregated.sliding_window
    return SlidingWindowFeature(np.concatenate(columns, axis=1), window)


def reconstruct(segmentations: Any, hard_clusters: np.ndarray, count: Any) -> Any:
    """Discrete (output frames, speakers) diarization: at each frame the `count` speakers
    most active over the windows covering it (pyannote's SpeakerDiarization.reconstruct)."""
    from pyannote.core import SlidingWindowFeature

    activations = speaker_activations(segmentations, hard_clusters, count.sliding_window)
    most = int(np.max(count.data))
    if activations.data.shape[1] < most:
        pad = most - activations.data.shape[1]
        activations.data = np.pad(activations.data, ((0, 0), (0, pad)))
    extent = activations.extent & count.extent
    activations = activations.crop(extent, return_data=False)
    count = count.crop(extent, return_data=False)
    order = np.argsort(-activations.data, axis=-1)  # pyannote's sort: the same ties
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
    # the two crops can differ by a frame: frames past the count's end stay silent
    n = min(len(rank), len(count.data))
    binary = np.zeros_like(activations.data)
    binary[:n] = rank[:n] < count.data[:n].reshape(-1, 1)
    return SlidingWindowFeature(binary, activations.sliding_window)


def install(pipeline: Any) -> None:
    """Make a pyannote SpeakerDiarization pipeline reconstruct one speaker at a time."""
    pipeline.reconstruct = reconstruct
