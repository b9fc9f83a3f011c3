"""Scoring for the diarization bench: references, pyannote's reconstruction from cached model
outputs, DER (pyannote.metrics) and leave-one-out tuning of the clustering.

Reconstruction runs pyannote's own SpeakerDiarization.apply with the two model steps
(segmentation, embeddings) answered from the cache, so what is scored is exactly what the
pipeline would output for those model outputs and that clustering."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np


def references(data_dir: Path) -> dict[str, dict[str, Any]]:
    """{stem: {"wav", "ref", "uem"}} for DATA_DIR's RTTM-annotated WAVs and pyannote's sample."""
    import importlib.util

    from pyannote.core import Segment, Timeline
    from pyannote.database.util import load_rttm, load_uem

    out: dict[str, dict[str, Any]] = {}
    refs: dict = {}
    for rttm in sorted(data_dir.glob("*.rttm")):
        refs.update(load_rttm(str(rttm)))
    uems: dict = {}
    for uem in sorted(data_dir.glob("*.uem")):
        uems.update(load_uem(str(uem)))
    for wav in sorted(data_dir.glob("*.wav")):
        if wav.stem in refs:
            out[wav.stem] = {"wav": wav, "ref": refs[wav.stem], "uem": uems.get(wav.stem)}
    pa = Path(next(iter(importlib.util.find_spec("pyannote.audio").submodule_search_locations)))
    sample = pa / "sample"
    ref = next(iter(load_rttm(str(sample / "sample.rttm")).values()))
    import soundfile as sf

    dur = sf.info(str(sample / "sample.wav")).duration
    out["sample"] = {
        "wav": sample / "sample.wav",
        "ref": ref,
        "uem": Timeline([Segment(0, dur)]),
    }
    return out


def diarize_cached(
    pipe,
    z: dict,
    clusterer,
    uri: str,
    bounds: dict | None = None,
    count_threshold: float = 0.5,
    min_duration_off: float = 0.0,
    oracle: dict | None = None,
):
    """pyannote's apply() on cached segmentation + embeddings with the given clustering.
    oracle: the file's {"wav", "ref"} when the clustering is pyannote's OracleClustering
    (it reads the reference turns and the audio's length from the file)."""
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    sw = SlidingWindow(start=float(z["sw"][0]), duration=float(z["sw"][1]), step=float(z["sw"][2]))
    segs = SlidingWindowFeature(np.array(z["segmentations"]), sw)
    emb = np.array(z["embeddings"])
    pipe.get_segmentations = lambda file, hook=None: segs
    pipe.get_embeddings = lambda *a, **k: emb
    pipe.clustering = clusterer
    pipe._expects_num_speakers = False
    from subsmith.speakers.clustering import frame_count

    pipe.speaker_count = lambda b, f, warm_up=(0.0, 0.0): frame_count(
        b, f, count_threshold, warm_up
    )
    pipe.segmentation.min_duration_off = min_duration_off
    file: dict[str, Any] = {"uri": uri}
    if oracle is not None:
        from diar_extract import read_file

        file.update(read_file(oracle["wav"]), uri=uri, annotation=oracle["ref"])
    try:
        out = pipe.apply(file, **(bounds or {}))
    finally:  # the model steps are the pipeline's own again for the next extraction
        del pipe.get_segmentations, pipe.get_embeddings
    return out.speaker_diarization


def annotation(turns: list[dict], uri: str = "turns"):
    """pyannote Annotation of [{start, end, speaker}] turns, one track each (two turns of one
    speaker may overlap: both are kept)."""
    from pyannote.core import Annotation, Segment

    out = Annotation(uri=uri)
    for k, t in enumerate(turns):
        out[Segment(t["start"], t["end"]), k] = t["speaker"]
    return out


def voices(hyp) -> list[str]:
    """The output's labels that are heard alone somewhere. pyannote's reconstruction gives
    each frame as many labels as its speaker count says, and when the count is higher than
    the clusters active there it pads with a label of no cluster (or an inactive one), which
    is heard only in overlap: a label, not a voice the clustering told apart."""
    out = []
    for label in hyp.labels():
        mine = hyp.label_timeline(label).support()
        others = hyp.subset([x for x in hyp.labels() if x != label]).get_timeline().support()
        if mine.extrude(others).duration() > 0:
            out.append(label)
    return out


def score_one(ref, hyp, uem, collar: float) -> dict[str, float]:
    from pyannote.metrics.diarization import DiarizationErrorRate

    m = DiarizationErrorRate(collar=collar, skip_overlap=False)
    d = m(ref, hyp, uem=uem, detailed=True)
    return {
        "total": d["total"],
        "missed": d["missed detection"],
        "false_alarm": d["false alarm"],
        "confusion": d["confusion"],
    }


def der(parts: list[dict[str, float]]) -> dict[str, float]:
    tot = sum(p["total"] for p in parts)
    out = {k: sum(p[k] for p in parts) / tot for k in ("missed", "false_alarm", "confusion")}
    out["der"] = out["missed"] + out["false_alarm"] + out["confusion"]
    return out


def evaluate(
    pipe,
    data: dict,
    cache: dict[str, dict],
    make_clusterer,
    collars=(0.0, 0.25),
    oracle: bool = False,
    **post,
):
    """Per-file results for one clustering over the cached outputs (oracle: the clustering
    is OracleClustering, handed each file's reference)."""
    rows = {}
    for uri, item in data.items():
        z = cache[uri]
        t = time.perf_counter()
        hyp = diarize_cached(
            pipe, z, make_clusterer(z), uri, oracle=item if oracle else None, **post
        )
        seconds = time.perf_counter() - t
        rows[uri] = {
            "hyp": hyp,
            "speakers": len(hyp.labels()),
            "voices": len(voices(hyp)),
            "ref_speakers": len(item["ref"].labels()),
            "cluster_seconds": seconds,
            **{c: score_one(item["ref"], hyp, item["uem"], c) for c in collars},
        }
    return rows


def grid(space: dict[str, list]) -> list[dict]:
    keys = list(space)
    return [dict(zip(keys, v, strict=True)) for v in itertools.product(*(space[k] for k in keys))]


def cross_validate(
    pipe, data: dict, candidates: list[dict], make_from, post, cache_for, oracle=False
):
    """Leave-one-out: for each file, the candidate with the lowest pooled DER (collar 0) on
    the OTHER files, then that candidate scored on the held-out file. cache_for(cand): the
    model outputs that candidate reads; post(cand): its reconstruction keywords.
    Returns (rows, chosen per file, (best in-sample candidate, its pooled DER))."""
    uris = list(data)
    table = []  # per candidate: per-file collar-0 parts
    for cand in candidates:
        r = evaluate(pipe, data, cache_for(cand), make_from(cand), (0.0,), oracle, **post(cand))
        table.append({u: r[u][0.0] for u in uris})
    rows, chosen = {}, {}
    for held in uris:
        others = [u for u in uris if u != held]
        best = min(range(len(candidates)), key=lambda i: der([table[i][u] for u in others])["der"])
        cand = candidates[best]
        chosen[held] = cand
        one = {held: data[held]}
        rows[held] = evaluate(
            pipe, one, cache_for(cand), make_from(cand), oracle=oracle, **post(cand)
        )[held]
    in_sample = min(range(len(candidates)), key=lambda i: der([table[i][u] for u in uris])["der"])
    return rows, chosen, (candidates[in_sample], der([table[in_sample][u] for u in uris]))


def overall(rows: dict, uris: list[str]) -> dict:
    """DER at collar 0 and 0.25 s over `uris` of cross_validate's rows."""
    d0 = der([rows[u][0.0] for u in uris])
    d25 = der([rows[u][0.25] for u in uris])
    return {"der0": d0, "der25": d25}


def hyp_turns(hyp) -> list[dict]:
    """[{start, end, speaker}] of a pyannote Annotation (what the stage writes)."""
    return [
        {"start": s.start, "end": s.end, "speaker": str(label)}
        for s, _, label in hyp.itertracks(yield_label=True)
    ]


def word_errors(ref, hyp, uem, words: list[dict]) -> dict[str, int]:
    """The word-level speaker figure, the one subtitles feel: of the words whose midpoint
    lies in a reference turn, those whose speaker (subsmith.subtitles.turns' rule: the turn that
    covers most of the word, else the nearest within its reach) is not a reference speaker
    talking at that midpoint, after the optimal speaker mapping (pyannote.metrics').
    "unassigned": words no turn reaches (no speaker: wrong too)."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    from subsmith.subtitles.turns import speaker_finder

    mapping = DiarizationErrorRate().optimal_mapping(ref, hyp, uem=uem) if hyp.labels() else {}
    find = speaker_finder(hyp_turns(hyp))
    tracks = list(ref.itertracks(yield_label=True))
    n = wrong = unassigned = 0
    for w in words:
        mid = 0.5 * (w["start"] + w["end"])
        talking = {label for s, _, label in tracks if s.start <= mid < s.end}
        if not talking:
            continue
        n += 1
        said = find(w["start"], w["end"])
        if said is None:
            unassigned += 1
            wrong += 1
        elif mapping.get(said) not in talking:
            wrong += 1
    return {"words": n, "wrong": wrong, "unassigned": unassigned}
