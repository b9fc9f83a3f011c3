"""subsmith.clustering on synthetic embeddings laid out like pyannote's (chunk, local speaker)
grid: the count, the bounds, the short turns, long audio and audio with no voice. No model
is loaded (the real-audio tests are in test_diarization.py)."""

from __future__ import annotations

import numpy as np
import pytest

from subsmith import clustering, settings

CHUNK, STEP, FRAMES = 10.0, 1.0, 100


@pytest.fixture(scope="module")
def opts():
    return clustering.ClusteringOptions.from_config(settings.load()["diarization"]["clustering"])


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
    """subsmith.lean_reconstruct gives pyannote's reconstruction exactly (random windows,
    clusters and counts, inactive speakers and overlap included) without its
    (windows, frames, speakers) array."""
    from pyannote.audio.pipelines.speaker_diarization import SpeakerDiarization
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    from subsmith import lean_reconstruct

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
