"""Speakers for the local speakers the clustering did not settle, and a second pass.

attach_to_neighbours: local speakers too short to embed take the speaker they continue in
the neighbouring chunks. refine: a VBx-style resegmentation on the embeddings.

The first pass (subsmith/speakers/clustering.py) decides merges greedily, so an embedding that was
merged early stays with its first cluster even when, once every cluster is whole, it is
nearer another. This pass recomputes each speaker's centroid from its (window, local
speaker) embeddings and hands every embedded local speaker to the nearest centroid, the
speakers of one window to different centroids (segmentation-3.0 heard them as two
people; Hungarian assignment), a few times over. Off by default: measured leave one
corpus out (bench/diar_loco.md), it helps short clips and loses across a film's scenes.
"""

from __future__ import annotations

import numpy as np

INACTIVE = -2  # pyannote's mark for a local speaker that is not in the output


def normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def refine(
    embeddings: np.ndarray,
    seconds: np.ndarray,
    hard: np.ndarray,
    iterations: int,
    min_seconds: float,
) -> np.ndarray:
    """hard (chunks, local) speaker labels after `iterations` passes (fewer when one
    changes nothing). embeddings: (chunks, local, dim), NaN where none; seconds: each local
    speaker's speech in its chunk. Local speakers with less than min_seconds of speech, no
    embedding or no label (negative) keep theirs; the number of speakers never grows."""
    from scipy.optimize import linear_sum_assignment

    finite = np.all(np.isfinite(embeddings), axis=-1)
    usable = finite & (seconds >= min_seconds) & (hard >= 0)
    if iterations <= 0 or not usable.any():
        return hard
    x = normalise(np.nan_to_num(embeddings).astype(np.float64))
    hard = hard.copy()
    k = int(hard.max()) + 1
    rows = np.flatnonzero(usable.any(axis=1))
    for _ in range(iterations):
        labels = hard[usable]
        sums = np.zeros((k, x.shape[-1]))
        np.add.at(sums, labels, seconds[usable][:, None] * x[usable])
        sim = x @ normalise(sums).T  # (chunks, local, k)
        new = hard.copy()
        for c in rows:
            s = np.flatnonzero(usable[c])
            if len(s) <= k:
                r, col = linear_sum_assignment(-sim[c, s])
                new[c, s[r]] = col
            else:
                new[c, s] = np.argmax(sim[c, s], axis=1)
        if np.array_equal(new, hard):
            break
        hard = new
    return hard


def attach_to_neighbours(
    hard: np.ndarray, active: np.ndarray, chunk_step_frames: float, segmentations: np.ndarray
) -> None:
    """Give each unclustered active local speaker the cluster of the local speaker it
    continues in a neighbouring chunk (most frames active together on the shared time)."""
    num_chunks, num_frames, num_local = segmentations.shape
    reach = int(num_frames // max(chunk_step_frames, 1e-9))
    for c, s in zip(*np.nonzero(active & (hard == INACTIVE)), strict=True):
        mine = segmentations[c, :, s] > 0
        best, best_score = INACTIVE, 0.5
        for d in range(-reach, reach + 1):
            o = c + d
            if d == 0 or not 0 <= o < num_chunks:
                continue
            shift = int(round(d * chunk_step_frames))
            if abs(shift) >= num_frames:
                continue
            # frame f of chunk c is frame f - shift of chunk o
            a0, a1 = max(0, shift), min(num_frames, num_frames + shift)
            here = mine[a0:a1]
            if not here.any():
                continue
            for t in range(num_local):
                if hard[o, t] < 0:
                    continue
                there = segmentations[o, a0 - shift : a1 - shift, t] > 0
                score = float((here & there).sum()) / float(here.sum())
                if score > best_score:
                    best, best_score = int(hard[o, t]), score
        hard[c, s] = best
