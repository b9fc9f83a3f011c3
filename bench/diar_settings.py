"""The settings of the diarization bench (bench/diarization.py): config.yaml's diarization
section, the clustering candidates of each setting (tuned by leave-one-out in the run), the
clusterer each candidate makes, and the segmentation path (runtime, skipped windows) each
setting runs."""

from __future__ import annotations

from pathlib import Path

import diar_score as ds
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())


def new_section() -> dict:
    return CONFIG["diarization"]


def previous_candidates() -> list[dict]:
    return ds.grid({"threshold": [0.5, 0.6, 0.7, 0.8], "min_cluster_size": [3, 12]})


def spectral_candidates(section: dict) -> list[dict]:
    c = section["clustering"]
    return ds.grid(
        {
            "method": ["spectral"],
            "neighbours": sorted({c["neighbours"], 0.05, 0.1, 0.2}),
            "merge_similarity": sorted({c["merge_similarity"], 0.75, 0.8, 0.85}),
            "count_threshold": sorted({section["count_threshold"], 0.4, 0.5}),
        }
    )


CONSTRAINED_THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4)
PYANNOTE_THRESHOLDS = (0.5, 0.6, 0.7, 0.8)


def pyannote_candidates(section: dict) -> list[dict]:
    """pyannote's own agglomerative clustering (the default before `constrained`)."""
    return ds.grid(
        {
            "threshold": sorted({section["clustering_threshold"], *PYANNOTE_THRESHOLDS}),
            "min_cluster_size": [section["min_cluster_size"]],
            "count_threshold": sorted({section["count_threshold"], 0.4, 0.5}),
        }
    )


def new_candidates(section: dict) -> list[dict]:
    """The configured method's own parameters around config.yaml's values."""
    method = section["clustering"]["method"]
    if method == "spectral":
        return spectral_candidates(section)
    if method == "pyannote":
        return pyannote_candidates(section)
    if method == "constrained":
        return ds.grid(
            {
                "method": ["constrained"],
                "constrained_threshold": sorted(
                    {section["clustering"]["constrained_threshold"], *CONSTRAINED_THRESHOLDS}
                ),
                "count_threshold": sorted({section["count_threshold"], 0.4, 0.5}),
            }
        )
    return ds.grid(
        {
            "method": ["agglomerative"],
            "threshold": sorted({section["clustering"]["threshold"], 0.4, 0.5, 0.6}),
            "count_threshold": sorted({section["count_threshold"], 0.4, 0.5}),
        }
    )


def previous_clusterer(cand: dict):
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering

    params = {k: v for k, v in cand.items() if k in ("threshold", "min_cluster_size")}

    def make(z):
        c = AgglomerativeClustering(metric="cosine")
        c.instantiate({"method": "centroid", **params})
        return c

    return make


def new_clusterer(section: dict, cand: dict):
    from subsmith.speakers.clustering import ClusteringOptions, PyannoteClustering

    if "min_cluster_size" in cand:  # the pyannote method
        return previous_clusterer(cand)
    opts = ClusteringOptions.from_config(
        {**section["clustering"], **{k: v for k, v in cand.items() if k != "count_threshold"}}
    )

    def make(z):
        return PyannoteClustering(opts, float(z["sw"][2]), float(z["sw"][1]))

    return make


def segmentation_settings(section: dict, settings: dict) -> dict[str, tuple[str, bool]]:
    """{setting: (segmentation runtime, skip windows without Silero speech)}: previous
    runs torch over every window, the others config.yaml's choice; when that is not
    torch over every window, "new, torch segmentation" (inserted after new) runs the same
    setting as new with the windows on torch, so both paths are in this one run."""
    configured = (section["segmentation_runtime"], section["skip_nonspeech_windows"])
    out = {name: configured for name in settings}
    out["previous"] = ("torch", False)
    if configured != ("torch", False):
        items = list(settings.items())
        at = [n for n, _ in items].index("new") + 1
        items.insert(at, ("new, torch segmentation", settings["new"]))
        settings.clear()
        settings.update(items)
        out["new, torch segmentation"] = ("torch", False)
    return out


def settings(section: dict) -> dict[str, tuple]:
    """The settings of one run, in report order: {name: (segmentation step, embedding mode,
    clustering candidates, clusterer factory, reuse)}; reuse names an earlier setting whose
    model outputs it clusters again (None or {}: its own)."""
    settings = {
        "previous": (0.1, "masked", previous_candidates(), previous_clusterer, {}),
        "new": (
            section["segmentation_step"],
            "pool-ex" if section["exclude_overlap"] else "pool",
            new_candidates(section),
            lambda cand: new_clusterer(section, cand),
            None,
        ),
    }
    if section["clustering"]["method"] != "pyannote":
        # the same model outputs as new, clustered the way the default did before
        settings["pyannote clustering"] = (
            *settings["new"][:2],
            pyannote_candidates(section),
            lambda cand: new_clusterer(section, cand),
            "new",
        )
    if section["clustering"]["method"] != "spectral":
        settings["spectral"] = (
            section["segmentation_step"],
            settings["new"][1],
            spectral_candidates(section),
            lambda cand: new_clusterer(section, cand),
            None,
        )
    coarse = round(2 * section["segmentation_step"], 3)
    if coarse <= 1:
        # the speed knob: half the segmentation windows (and their time), same clustering
        settings[f"new, step {coarse:g}"] = (coarse, *settings["new"][1:])
    return settings
