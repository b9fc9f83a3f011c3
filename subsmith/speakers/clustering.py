"""Who is who: clustering and counting the speakers of pyannote's (chunk, local speaker) embeddings.

pyannote's SpeakerDiarization finds up to three local speakers in each overlapping window
("chunk") and embeds each; clustering says which local speakers are the same person. Its
offline agglomerative clustering both merges speakers and gives up on them on short scenes;
its VBx needs a PLDA that lives only on the Hugging Face hub. Chosen by cross-validation
instead (bench/diarization.md; across corpora, bench/diar_loco.md):

- constrained agglomerative clustering (the default): centroid linkage on cosine distance,
  where two speakers segmentation-3.0 hears in one window (each talking at least
  `cannot_link_seconds` there) never end up in one cluster: the model gives different
  people of its 10 s window different local speakers, evidence the embeddings alone do not
  use, so the threshold only has to decide across scenes (bench/diarization.md, "Scene
  tracks": the confusion of "pyannote clustering" against "new");
- or spectral clustering (nearest-neighbour affinity, count from the eigengap), or average
  linkage at one threshold;
- close clusters merge, a "speaker" with under `min_speaker_seconds` is folded into the
  nearest; local speakers too short to embed take the speaker they continue in the
  neighbouring chunks, else the nearest centroid;
- a second pass (`refine_iterations`, subsmith/speakers/resegment.py): every embedded local speaker
  to the nearest final centroid, those of one window to different ones;
- long audio: at most `max_items` embeddings are clustered (whole windows, spread over the
  audio), the rest go to the nearest centroid, so a 2-hour movie stays bounded;
- no usable embedding at all (music or noise only) gives no speaker, not a crash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..core.settings import options
from .resegment import INACTIVE, attach_to_neighbours, normalise, refine


@dataclass(frozen=True)
class ClusteringOptions:
    """The `diarization.clustering` config section (defaults live in config.yaml only)."""

    method: str  # "constrained", "spectral", "agglomerative" or "pyannote" (the pipeline's own)
    threshold: float  # agglomerative: cosine distance at which clusters stop merging
    constrained_threshold: float  # constrained: centroids' cosine distance at which merging stops
    cannot_link_seconds: float  # constrained: speakers of one window with this much speech each
    neighbours: float  # spectral: fraction of each row's affinities kept (p-pruning)
    min_neighbours: int  # spectral: rows keep at least this many neighbours
    merge_similarity: float  # clusters with centroids this cosine-similar are one speaker
    min_speaker_seconds: float  # less speech than this is folded into the nearest speaker
    min_embed_seconds: float  # local speakers with less speech are attached, not clustered
    spectral_min_items: int  # fewer embeddings than this: agglomerative (spectral is unstable)
    max_items: int  # at most this many embeddings are clustered; the rest are assigned
    refine_iterations: int  # second passes: each embedding to the nearest final centroid

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> ClusteringOptions:
        return options(cls, section, "diarization.clustering")


def _bounds(n: int, num: int | None, lo: int | None, hi: int | float | None) -> tuple[int, int]:
    """(min, max) clusters possible for n embeddings under the user's bounds."""
    if num is not None and num > 0:
        k = max(1, min(int(num), n))
        return k, k
    lo = 1 if lo is None or not np.isfinite(lo) else max(1, int(lo))
    hi = n if hi is None or not np.isfinite(hi) else max(1, int(hi))
    hi = min(hi, n)
    return min(lo, hi), hi


def _centroids(x: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    c = np.zeros((k, x.shape[1]))
    for i in range(k):
        sel = labels == i
        if sel.any():
            c[i] = (w[sel, None] * x[sel]).sum(0)
    return normalise(c)


def _relabel(labels: np.ndarray) -> tuple[np.ndarray, int]:
    _, inv = np.unique(labels, return_inverse=True)
    return inv, int(inv.max()) + 1 if inv.size else 0


def spectral_labels(x: np.ndarray, opts: ClusteringOptions, lo: int, hi: int) -> np.ndarray:
    """Labels of unit vectors x by spectral clustering; the count from the eigengap in [lo, hi]."""
    from sklearn.cluster import KMeans

    n = x.shape[0]
    sim = x @ x.T
    keep = max(opts.min_neighbours, int(np.ceil(opts.neighbours * n)))
    keep = min(keep, n - 1)
    affinity = np.zeros_like(sim)
    order = np.argsort(-sim, axis=1)[:, : keep + 1]  # +1: the row itself
    rows = np.repeat(np.arange(n), order.shape[1])
    affinity[rows, order.ravel()] = np.maximum(sim[rows, order.ravel()], 0.0)
    affinity = 0.5 * (affinity + affinity.T)
    np.fill_diagonal(affinity, 0.0)
    laplacian = np.diag(affinity.sum(1)) - affinity
    values, vectors = np.linalg.eigh(laplacian)
    if lo == hi:
        k = lo
    else:
        gaps = np.diff(values[: hi + 1])  # gaps[i] = values[i+1] - values[i]: i+1 clusters
        k = lo + int(np.argmax(gaps[lo - 1 : hi]))
    if k <= 1:
        return np.zeros(n, dtype=int)
    km = KMeans(n_clusters=k, n_init=10, random_state=0)
    return km.fit_predict(vectors[:, :k])


def agglomerative_labels(x: np.ndarray, opts: ClusteringOptions, lo: int, hi: int) -> np.ndarray:
    """Average-linkage clustering on cosine distance, cut at opts.threshold within [lo, hi]."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = x.shape[0]
    if n == 1:
        return np.zeros(1, dtype=int)
    tree = linkage(x, method="average", metric="cosine")
    labels = fcluster(tree, t=opts.threshold, criterion="distance") - 1
    k = int(labels.max()) + 1
    if k > hi or k < lo:
        labels = fcluster(tree, t=min(max(k, lo), hi), criterion="maxclust") - 1
    return labels


def spread_windows(chunk: np.ndarray, max_items: int) -> np.ndarray:
    """Indices of at most max_items items (chunk: each item's window, in time order): every
    speaker of one window drawn in each run of s windows, s as small as fits. Spread over
    the audio, so every scene and every voice heard in it is represented (the longest turns
    alone left the speakers of short turns without a cluster: 7 speakers found of 23 on a
    2-hour track, bench/diar_long.py), and whole windows, so the speakers heard together
    in one still cannot link. Drawn, not every s-th: a fixed stride can fall in step with a
    scene's rhythm and never see one of its voices. Seeded, so a movie clusters the same every run."""
    windows, first = np.unique(chunk, return_index=True)
    per_window = np.diff(np.append(first, len(chunk)))
    if per_window.sum() <= max_items:
        return np.arange(len(chunk))
    rng = np.random.default_rng(0)
    stride = max(1, int(np.ceil(per_window.sum() / max_items)))
    while True:
        starts = np.arange(0, len(windows), stride)
        picks = np.minimum(starts + rng.integers(0, stride, len(starts)), len(windows) - 1)
        if per_window[picks].sum() <= max_items:
            break
        stride += 1
    keep = np.zeros(len(chunk), dtype=bool)
    for start, count in zip(first[picks], per_window[picks], strict=True):
        keep[start : start + count] = True
    return np.flatnonzero(keep)


def cannot_link(chunk: np.ndarray, seconds: np.ndarray, min_seconds: float) -> np.ndarray:
    """(n, n) bool: items i, j are two speakers of one window, each talking min_seconds or
    more there (segmentation-3.0 says they are two people)."""
    n = len(chunk)
    out = np.zeros((n, n), dtype=bool)
    heard = np.flatnonzero(seconds >= min_seconds)
    order = heard[np.argsort(chunk[heard], kind="stable")]
    bounds = np.flatnonzero(np.diff(chunk[order])) + 1
    for group in np.split(order, bounds):
        if len(group) > 1:
            out[np.ix_(group, group)] = True
    np.fill_diagonal(out, False)
    return out


def constrained_labels(
    x: np.ndarray, forbid: np.ndarray, threshold: float, lo: int, hi: int
) -> np.ndarray:
    """Centroid-linkage agglomerative clustering of unit vectors x on cosine distance, never
    merging two clusters that hold a forbidden pair (`forbid`, from cannot_link), stopping
    at `threshold` within [lo, hi] clusters. Past the threshold it merges on only to get
    under hi; when only forbidden merges are left and hi asks for fewer clusters (the
    user's max_speakers or num_speakers), the closest forbidden pair merges.

    Each merge recomputes one row of centroid distances and the row minima that pointed at
    the merged pair: O(n) rows of O(n) each at worst, so the max_items (2000) embeddings of
    a long film cluster in seconds (the full matrix, n^2 float64, is 32 MB there)."""
    n = x.shape[0]
    if n <= 1:
        return np.zeros(n, dtype=int)
    sums = x.astype(np.float64).copy()
    cent = normalise(sums)
    forbid = forbid.copy()
    alive = np.ones(n, dtype=bool)
    dist = cent @ cent.T
    np.subtract(1.0, dist, out=dist)  # in place: two n x n matrices in all, not four
    np.fill_diagonal(dist, np.inf)
    allowed = dist.copy()
    allowed[forbid] = np.inf
    row_min = allowed.min(axis=1)
    row_arg = allowed.argmin(axis=1)
    labels = np.arange(n)
    k = n

    def refresh(r: int) -> None:
        row_min[r] = allowed[r].min()
        row_arg[r] = allowed[r].argmin()

    while k > lo:
        i = int(np.argmin(row_min))
        best = row_min[i]
        if not np.isfinite(best):
            if k <= hi:
                break
            # only forbidden merges left and too many clusters for the user's bound
            forced = np.where(alive[:, None] & alive[None, :], dist, np.inf)
            i, j = np.unravel_index(int(np.argmin(forced)), forced.shape)
        else:
            if best > threshold and k <= hi:
                break
            j = int(row_arg[i])
        i, j = int(min(i, j)), int(max(i, j))
        # j joins i
        sums[i] += sums[j]
        cent[i] = sums[i] / max(np.linalg.norm(sums[i]), 1e-12)
        labels[labels == j] = i
        alive[j] = False
        k -= 1
        forbid[i] |= forbid[j]
        forbid[:, i] = forbid[i]
        dist[j, :] = dist[:, j] = np.inf
        row = 1.0 - cent @ cent[i]
        row[~alive] = np.inf
        row[i] = np.inf
        dist[i, :] = dist[:, i] = row
        allowed[j, :] = allowed[:, j] = np.inf
        arow = np.where(forbid[i], np.inf, row)
        allowed[i, :] = allowed[:, i] = arow
        row_min[j] = np.inf
        refresh(i)
        stale = np.flatnonzero(alive & ((row_arg == i) | (row_arg == j)))
        for r in stale:
            refresh(int(r))
        better = alive & (arow < row_min)
        row_min[better] = arow[better]
        row_arg[better] = i
    return _relabel(labels)[0]


def _merge_close(
    x: np.ndarray, w: np.ndarray, labels: np.ndarray, opts: ClusteringOptions, lo: int
) -> np.ndarray:
    """Merge the two most similar clusters while their centroids are one voice, and fold
    clusters with too little speech into the nearest, never going under lo clusters.
    The constrained method only folds: its threshold already merged every pair of
    clusters it could, and the pairs left close are two people heard together."""
    labels, k = _relabel(labels)
    while k > lo:
        c = _centroids(x, w, labels, k)
        seconds = np.bincount(labels, weights=w, minlength=k)
        sim = c @ c.T
        np.fill_diagonal(sim, -np.inf)
        small = int(np.argmin(seconds))
        if seconds[small] < opts.min_speaker_seconds:
            a, b = small, int(np.argmax(sim[small]))
        else:
            a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
            if opts.method == "constrained" or sim[a, b] < opts.merge_similarity:
                break
        labels[labels == a] = b
        labels, k = _relabel(labels)
    return labels


def cluster(
    embeddings: np.ndarray,
    segmentations: np.ndarray,
    chunk_step: float,
    chunk_duration: float,
    opts: ClusteringOptions,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(hard, centroids): hard[c, s] is the speaker of local speaker s in chunk c (INACTIVE
    when it has no speech), centroids the unit-length mean embedding of each speaker.

    embeddings: (chunks, local, dim), NaN where none could be computed;
    segmentations: (chunks, frames, local) binary activity."""
    num_chunks, num_frames, num_local = segmentations.shape
    frame_seconds = chunk_duration / num_frames
    seconds = segmentations.sum(axis=1) * frame_seconds  # (chunks, local)
    active = seconds > 0
    finite = np.all(np.isfinite(embeddings), axis=-1)
    usable = active & finite & (seconds >= opts.min_embed_seconds)
    hard = np.full((num_chunks, num_local), INACTIVE, dtype=int)
    dim = embeddings.shape[-1]
    if not usable.any():
        # Fall back to any finite embedding before giving up: a scene of short turns.
        usable = active & finite
        if not usable.any():
            if active.any():
                # Only slivers too short to embed: one speaker, rather than none (pyannote's
                # reconstruction needs a cluster for every frame it counts as speech).
                hard[active] = 0
                return hard, np.zeros((1, dim))
            return hard, np.zeros((0, dim))

    idx = np.argwhere(usable)
    x = normalise(embeddings[usable].astype(np.float64))
    w = seconds[usable]
    n = x.shape[0]
    if n > opts.max_items:
        chosen = spread_windows(idx[:, 0], opts.max_items)
    else:
        chosen = np.arange(n)
    xs, ws = x[chosen], w[chosen]
    lo, hi = _bounds(xs.shape[0], num_speakers, min_speakers, max_speakers)
    if opts.method == "constrained":
        forbid = cannot_link(idx[chosen, 0], ws, opts.cannot_link_seconds)
        labels = constrained_labels(xs, forbid, opts.constrained_threshold, lo, hi)
    elif opts.method == "spectral" and xs.shape[0] >= opts.spectral_min_items:
        labels = spectral_labels(xs, opts, lo, hi)
    else:
        labels = agglomerative_labels(xs, opts, lo, hi)
    if num_speakers is None:
        labels = _merge_close(xs, ws, labels, opts, lo)
    labels, k = _relabel(labels)
    centroids = _centroids(xs, ws, labels, k)

    # every usable embedding (also those left out on long audio) to its nearest centroid,
    # except those clustered: they keep their cluster
    all_labels = np.argmax(x @ centroids.T, axis=1)
    all_labels[chosen] = labels
    hard[idx[:, 0], idx[:, 1]] = all_labels

    chunk_step_frames = chunk_step / frame_seconds
    attach_to_neighbours(hard, active, chunk_step_frames, segmentations)
    left = active & (hard == INACTIVE) & finite
    if left.any():
        hard[left] = np.argmax(normalise(embeddings[left].astype(np.float64)) @ centroids.T, axis=1)
    hard = refine(embeddings, seconds, hard, opts.refine_iterations, opts.min_embed_seconds)
    return hard, centroids


class PyannoteClustering:
    """Drop-in for the `clustering` attribute of pyannote's SpeakerDiarization pipeline:
    same call, same (hard_clusters, soft_clusters, centroids) answer."""

    expects_num_clusters = False

    def __init__(self, opts: ClusteringOptions, chunk_step: float, chunk_duration: float):
        self.opts = opts
        self.chunk_step = chunk_step
        self.chunk_duration = chunk_duration

    def __call__(
        self,
        embeddings: np.ndarray,
        segmentations: Any,
        num_clusters: int | None = None,
        min_clusters: int | None = None,
        max_clusters: int | float | None = None,
        **_: Any,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        data = np.nan_to_num(getattr(segmentations, "data", segmentations))
        hard, centroids = cluster(
            embeddings,
            data,
            self.chunk_step,
            self.chunk_duration,
            self.opts,
            num_speakers=num_clusters,
            min_speakers=min_clusters,
            max_speakers=max_clusters,
        )
        if centroids.shape[0] == 0:
            # pyannote's reconstruction needs one cluster: a silent one (no local speaker maps
            # to it, so no turn comes out of it).
            centroids = np.zeros((1, embeddings.shape[-1]))
        x = normalise(np.nan_to_num(embeddings.astype(np.float64)))
        soft = x @ centroids.T
        return hard, soft, centroids


def frame_count(binarized: Any, frames: Any, threshold: float, warm_up: tuple = (0.0, 0.0)) -> Any:
    """Speakers active at each output frame: the mean, over the overlapping chunks, of the
    local speakers each chunk sees, rounded up from `threshold` (0.5 is pyannote's rounding).

    Why not plain rounding: a chunk that sees two people at once is often outvoted by
    neighbours that see one of them start a little later, so overlapped speech (and the
    edges of turns) is dropped; a threshold under 0.5 keeps it."""
    from pyannote.audio.core.inference import Inference

    trimmed = Inference.trim(binarized, warm_up=warm_up)
    count = Inference.aggregate(
        np.sum(trimmed, axis=-1, keepdims=True),
        frames,
        hamming=False,
        missing=0.0,
        skip_average=False,
    )
    count.data = np.floor(count.data + (1.0 - threshold)).astype(np.uint8)
    return count


def cap_training(clustering: Any, max_items: int) -> Any:
    """Bound pyannote's own clustering on long audio: at most `max_items` embeddings go into
    its linkage, evenly spread over the audio; pyannote then assigns every embedding (the
    others too) to the nearest centroid, as it always does.

    Why: its centroid linkage holds all pairwise distances, n^2 / 2 doubles. A 2-hour movie
    has thousands of usable (window, speaker) embeddings at a 1 s step: most of a GB and
    minutes of linkage (bench/diarization.md, "Reading this", Memory); 2000 of them
    are 16 MB. Windows overlap (each moment is in 5-10 of them), so
    an even spread keeps every part of the film, and every voice heard in it, represented."""
    full = clustering.filter_embeddings

    def filter_embeddings(embeddings: Any, segmentations: Any = None, **kwargs: Any) -> Any:
        kept, chunks, speakers = full(embeddings, segmentations=segmentations, **kwargs)
        if len(kept) <= max_items:
            return kept, chunks, speakers
        pick = np.unique(np.linspace(0, len(kept) - 1, max_items).round().astype(int))
        return kept[pick], chunks[pick], speakers[pick]

    clustering.filter_embeddings = filter_embeddings
    return clustering


def install(
    pipeline: Any, opts: ClusteringOptions, count_threshold: float
) -> dict[str, Any] | None:
    """Put this module's clustering and frame count into a pyannote SpeakerDiarization
    pipeline (offline); returns what to record in the manifest, None when
    opts.method is "pyannote" (the pipeline keeps its own agglomerative clustering)."""
    inference = pipeline._segmentation
    pipeline.speaker_count = lambda b, f, warm_up=(0.0, 0.0): frame_count(
        b, f, count_threshold, warm_up
    )
    if opts.method == "pyannote":
        cap_training(pipeline.clustering, opts.max_items)
        return None
    pipeline.clustering = PyannoteClustering(opts, inference.step, inference.duration)
    pipeline._expects_num_speakers = False
    return {"name": f"subsmith {opts.method}", **asdict(opts)}
