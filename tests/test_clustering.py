"""subsmith.speakers.clustering on synthetic embeddings laid out like pyannote's (chunk, local speaker)
grid: the count, the bounds, the short turns, long audio and audio with no voice. No model
is loaded (the real-audio tests are in test_diarization.py)."""

from __future__ import annotations

import numpy as np
import pytest

from subsmith.core import settings
from subsmith.speakers import clustering

CHUNK, STEP, FRAMES = 10.0, 1.0, 100


@pytest.fixture(scope="module", params=["constrained", "spectral", "agglomerative"])
def opts(request):
    """Each of this module's methods, with config.yaml's settings (constrained is the default)."""
    section = settings.load()["diarization"]["clustering"]
    return clustering.ClusteringOptions.from_config({**section, "method": request.param})


def scene(turns: list[int], seconds_each: int = 4, dim: int = 32, seed: int = 0, spread=0.25):
    """Segmentation and embeddings of speakers taking turns (speaker ids in `turns`, each
    turn seconds_each long), seen through 10 s chunks at a 1 s step: local speaker 0 of a
    chunk is whoever talks first in it, local speaker 1 the next."""
    rng = np.random.default_rng(seed)
    voices = rng.normal(size=(max(turns) + 1, dim))
    timeline = np.repeat(turns, seconds_each * 10)  # who talks, at 0.1 s frames
    total = len(timeline) / 10
    num_chunks = int((total - CHUNK) // STEP) + 1
    seg = np.zeros((num_chunks, FRAMES, 3), np.float32)
    emb = np.full((num_chunks, 3, dim), np.nan)
    truth = np.full((num_chunks, 3), -1)
    for c in range(num_chunks):
        who = timeline[c * 10 : c * 10 + FRAMES]
        order = list(dict.fromkeys(who.tolist()))[:3]
        for s, spk in enumerate(order):
            seg[c, :, s] = who == spk
            emb[c, s] = voices[spk] + spread * rng.normal(size=dim)
            truth[c, s] = spk
    return seg, emb, truth


def same_partition(hard, truth) -> bool:
    pairs = {(int(h), int(t)) for h, t in zip(hard.ravel(), truth.ravel(), strict=True) if t >= 0}
    return len(pairs) == len({h for h, _ in pairs}) == len({t for _, t in pairs})


def run(seg, emb, opts, **bounds):
    return clustering.cluster(emb, seg, STEP, CHUNK, opts, **bounds)


def test_three_speakers_taking_turns_are_three(opts):
    seg, emb, truth = scene([0, 1, 2, 0, 2, 1, 0, 1, 2, 0, 1, 2])
    hard, centroids = run(seg, emb, opts)
    assert centroids.shape[0] == 3
    assert same_partition(hard, truth)


def test_one_voice_is_one_speaker(opts):
    seg, emb, _ = scene([0] * 10)
    hard, centroids = run(seg, emb, opts)
    assert centroids.shape[0] == 1
    assert set(hard[seg.sum(axis=1) > 0].tolist()) == {0}


def test_the_count_keeps_to_the_bounds(opts):
    seg, emb, _ = scene([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
    assert run(seg, emb, opts)[1].shape[0] == 4
    assert run(seg, emb, opts, num_speakers=2)[1].shape[0] == 2
    assert run(seg, emb, opts, max_speakers=3)[1].shape[0] <= 3
    seg1, emb1, _ = scene([0] * 10)
    assert run(seg1, emb1, opts, min_speakers=2)[1].shape[0] == 2


def test_a_turn_too_short_to_embed_takes_the_speaker_it_continues(opts):
    seg, emb, truth = scene([0, 1, 2, 0, 1, 2, 0, 1, 2])
    # in the first chunk that sees speaker 1, keep only 0.3 s of it: too short to embed
    c = next(c for c in range(len(truth)) if 1 in truth[c])
    s = int(np.flatnonzero(truth[c] == 1)[0])
    first = int(np.flatnonzero(seg[c, :, s])[0])
    seg[c, :, s] = 0
    seg[c, first : first + 3, s] = 1
    assert seg[c, :, s].sum() * CHUNK / FRAMES < opts.min_embed_seconds
    emb[c, s] = np.nan
    hard, _ = run(seg, emb, opts)
    later = hard[c + 1, int(np.flatnonzero(truth[c + 1] == 1)[0])]
    assert hard[c, s] == later


def test_long_audio_clusters_at_most_max_items_and_labels_all(opts):
    seg, emb, truth = scene([0, 1, 2, 3] * 40, seconds_each=3)
    small = clustering.ClusteringOptions(**{**opts.__dict__, "max_items": 60})
    active = seg.sum(axis=1) > 0
    assert active.sum() > 4 * small.max_items
    hard, centroids = run(seg, emb, small)
    assert centroids.shape[0] == 4
    assert (hard[active] >= 0).all()
    assert same_partition(hard, truth)


def test_no_voice_at_all_is_no_speaker_not_a_crash(opts):
    seg = np.zeros((5, FRAMES, 3), np.float32)
    emb = np.full((5, 3, 32), np.nan)
    hard, centroids = run(seg, emb, opts)
    assert centroids.shape[0] == 0 and (hard == clustering.INACTIVE).all()
    # slivers only (active but too short to embed anywhere): one speaker, never a crash
    seg[2, :3, 0] = 1
    hard, centroids = run(seg, emb, opts)
    assert centroids.shape[0] == 1 and hard[2, 0] == 0


def test_pyannote_clustering_on_long_audio_links_at_most_max_items(opts):
    """The pyannote method (the default) gets the same bound: its linkage sees at most
    max_items embeddings, and every speaker of the long scene still comes out right."""
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    seg, emb, truth = scene([0, 1, 2, 3] * 40, seconds_each=3)
    agg = AgglomerativeClustering(metric="cosine")
    agg.instantiate({"method": "centroid", "threshold": 0.6, "min_cluster_size": 2})
    clustering.cap_training(agg, 60)
    linked = []
    cluster = agg.cluster
    agg.cluster = lambda x, *a, **k: linked.append(len(x)) or cluster(x, *a, **k)
    segs = SlidingWindowFeature(seg, SlidingWindow(start=0.0, duration=CHUNK, step=STEP))
    hard, _, centroids = agg(emb, segs)
    assert linked == [60] and (seg.sum(axis=1) > 0).sum() > 4 * 60
    assert centroids.shape[0] == 4
    assert same_partition(hard, truth)


def test_lean_reconstruction_is_pyannotes_one_speaker_at_a_time():
    """subsmith.speakers.lean_reconstruct gives pyannote's reconstruction exactly (random windows,
    clusters and counts, inactive speakers and overlap included) without its
    (windows, frames, speakers) array."""
    from pyannote.audio.pipelines.speaker_diarization import SpeakerDiarization
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    from subsmith.speakers import lean_reconstruct

    rng = np.random.default_rng(3)
    seg = (rng.random((40, FRAMES, 3)) > 0.6).astype(np.float32)
    hard = rng.integers(0, 6, size=(40, 3))
    hard[seg.sum(axis=1) == 0] = clustering.INACTIVE
    hard[5, 1] = clustering.INACTIVE
    segs = SlidingWindowFeature(seg, SlidingWindow(start=0.0, duration=CHUNK, step=STEP))
    frames = SlidingWindow(start=0.0, duration=CHUNK / FRAMES, step=CHUNK / FRAMES)
    count = SlidingWindowFeature(rng.integers(0, 3, size=(int(49 / frames.step), 1)), frames)
    ours = lean_reconstruct.reconstruct(segs, hard, count)
    theirs = SpeakerDiarization.reconstruct(
        SpeakerDiarization.__new__(SpeakerDiarization), segs, hard, count
    )
    a, b = ours.sliding_window, theirs.sliding_window
    assert (a.start, a.duration, a.step) == (b.start, b.duration, b.step)
    np.testing.assert_array_equal(ours.data, theirs.data)


def constrained_reference(x, forbid, threshold):
    """The definition, naively: merge the closest pair of clusters (cosine distance of
    their normalised sums) that holds no forbidden pair, while it is under threshold."""
    clusters = [[i] for i in range(len(x))]
    while len(clusters) > 1:
        best = None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                if forbid[np.ix_(clusters[a], clusters[b])].any():
                    continue
                ca, cb = (
                    x[c].sum(0) / np.linalg.norm(x[c].sum(0)) for c in (clusters[a], clusters[b])
                )
                d = 1.0 - ca @ cb
                if best is None or d < best[0]:
                    best = (d, a, b)
        if best is None or best[0] > threshold:
            break
        _, a, b = best
        clusters[a] += clusters.pop(b)
    labels = np.zeros(len(x), dtype=int)
    for k, c in enumerate(clusters):
        labels[c] = k
    return labels


def partition(labels) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == k).tolist()) for k in np.unique(labels)}


def test_constrained_clustering_is_its_definition_on_random_embeddings():
    rng = np.random.default_rng(3)
    for trial in range(30):
        n = int(rng.integers(2, 40))
        voices = rng.normal(size=(int(rng.integers(1, 6)), 8))
        x = voices[rng.integers(0, len(voices), n)] + 0.6 * rng.normal(size=(n, 8))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        chunk = rng.integers(0, max(1, n // 2), n)
        seconds = rng.uniform(0, 3, n)
        forbid = clustering.cannot_link(chunk, seconds, 1.0)
        threshold = float(rng.uniform(0.1, 0.8))
        got = clustering.constrained_labels(x, forbid, threshold, 1, n)
        assert partition(got) == partition(constrained_reference(x, forbid, threshold)), trial


def test_cannot_link_pairs_the_speakers_of_one_window_that_talk_enough():
    chunk = np.array([0, 0, 0, 1, 1, 2])
    seconds = np.array([2.0, 1.5, 0.4, 3.0, 1.0, 5.0])
    forbid = clustering.cannot_link(chunk, seconds, 1.0)
    pairs = {(int(i), int(j)) for i, j in zip(*np.nonzero(forbid), strict=True) if i < j}
    assert pairs == {(0, 1), (3, 4)}  # item 2 talks 0.4 s: too little to say it is another


def test_two_similar_voices_heard_together_stay_two_people():
    """Two voices close enough for the threshold to merge them, taking turns within the
    same windows: the windows say they are two people, so constrained keeps them apart;
    plain agglomerative at the same cut merges them."""
    seg, emb, truth = scene([0, 1] * 8, seconds_each=3, spread=0.05, seed=4)
    rng = np.random.default_rng(4)
    close = rng.normal(size=emb.shape[-1])
    for c, s in zip(*np.nonzero(truth >= 0), strict=True):  # both voices near one point
        emb[c, s] = close + 0.25 * (1 if truth[c, s] else -1) * np.eye(emb.shape[-1])[0]
        emb[c, s] += 0.02 * rng.normal(size=emb.shape[-1])
    section = settings.load()["diarization"]["clustering"]
    constrained = clustering.ClusteringOptions.from_config(section)
    assert constrained.method == "constrained"
    x = emb[truth >= 0]
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    assert 1 - (x[0] @ x[-1]) < constrained.constrained_threshold  # the cut would merge them
    hard, centroids = run(seg, emb, constrained)
    assert centroids.shape[0] == 2 and same_partition(hard, truth)
    plain = clustering.ClusteringOptions.from_config(
        {**section, "method": "agglomerative", "threshold": constrained.constrained_threshold}
    )
    assert run(seg, emb, plain)[1].shape[0] == 1


def test_constrained_clustering_merges_heard_together_only_when_the_user_says_so():
    seg, emb, _ = scene([0, 1, 2] * 6, seconds_each=3, seed=5)
    opts = clustering.ClusteringOptions.from_config(settings.load()["diarization"]["clustering"])
    assert run(seg, emb, opts)[1].shape[0] == 3
    assert run(seg, emb, opts, num_speakers=1)[1].shape[0] == 1
    assert run(seg, emb, opts, max_speakers=2)[1].shape[0] == 2


def test_long_audio_keeps_whole_windows_spread_over_it():
    chunk = np.repeat(np.arange(100), [1, 2, 3, 2] * 25)  # 200 speakers of 100 windows
    kept = clustering.spread_windows(chunk, 60)
    assert len(kept) <= 60
    windows = np.unique(chunk[kept])
    for w in windows:  # every speaker of a kept window, so their cannot-links hold
        assert set(np.flatnonzero(chunk == w)) <= set(kept.tolist())
    assert windows[0] < 10 and windows[-1] >= 90  # from the start to the end of the audio
    assert np.diff(windows).max() < 20  # no long stretch without a window
    assert list(clustering.spread_windows(chunk, 60)) == list(kept)  # the same every run
    assert len(clustering.spread_windows(chunk, 1000)) == len(chunk)


def test_the_second_pass_moves_a_misplaced_speaker_to_its_own_voice():
    from subsmith.speakers import resegment

    seg, emb, truth = scene([0, 1, 2] * 6, seconds_each=3, seed=3)
    seconds = seg.sum(axis=1) * CHUNK / FRAMES
    wrong = truth.copy()
    c = 4
    s = int(np.flatnonzero(truth[c] == 1)[0])
    wrong[c, s] = 2 if 2 not in truth[c] else 0  # a label no other speaker of c has
    wrong[wrong < 0] = clustering.INACTIVE
    fixed = resegment.refine(emb, seconds, wrong, 3, 0.5)
    assert same_partition(fixed, truth) and fixed[c, s] == wrong[c + 1][truth[c + 1] == 1][0]
    assert (resegment.refine(emb, seconds, wrong, 0, 0.5) == wrong).all()  # 0: off
    # too short to embed: it keeps the label it was given
    assert (
        resegment.refine(emb, np.where(wrong == wrong[c, s], 0.1, seconds), wrong, 3, 0.5)[c, s]
        == wrong[c, s]
    )


def test_the_second_pass_keeps_the_speakers_of_one_window_apart():
    from subsmith.speakers import resegment

    seg, emb, truth = scene([0, 1] * 6, seconds_each=3, seed=4)
    seconds = seg.sum(axis=1) * CHUNK / FRAMES
    hard = np.where(truth >= 0, truth, clustering.INACTIVE)
    c = next(c for c in range(len(truth)) if {0, 1} <= set(truth[c].tolist()))
    a, b = (int(np.flatnonzero(truth[c] == k)[0]) for k in (0, 1))
    emb[c, b] = emb[c, a]  # both sound like speaker 0 here
    out = resegment.refine(emb, seconds, hard, 3, 0.5)
    assert out[c, a] != out[c, b]
    assert same_partition(np.delete(out, c, axis=0), np.delete(truth, c, axis=0))
