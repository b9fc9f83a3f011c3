"""The audio every speech stage reads: 16 kHz mono PCM WAV, as demux writes it.

One sample rate and one set of readers for VAD, ASR (and diarization next), so a
stage never decodes the WAV its own way. The readers go through soundfile and never
load more than asked: a block at a time (VAD), a slice at a time (ASR), or the header
only, so memory does not grow with the length of the movie.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..core.errors import StageError

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000  # what demux writes and Silero, Whisper and pyannote expect
BLOCK_SECONDS = 60  # how much of a WAV file wav_blocks reads at a time


def wav_frames(path: str | os.PathLike[str]) -> int:
    """Number of samples of a 16 kHz mono WAV (what demux writes), read from its header."""
    import soundfile

    info = soundfile.info(str(path))
    if info.samplerate != SAMPLE_RATE or info.channels != 1:
        raise StageError(
            f"{path}: expected 16 kHz mono audio from demux, got {info.samplerate} Hz, "
            f"{info.channels} channels"
        )
    return int(info.frames)


def wav_duration(path: str | os.PathLike[str]) -> float:
    """Seconds of any WAV, from its header (demux checks what ffmpeg decoded with it)."""
    import soundfile

    return float(soundfile.info(str(path)).duration)


def read_wav(path: str | os.PathLike[str]) -> np.ndarray:
    """16 kHz mono float32 samples (soundfile: torchaudio's decoders are not used here)."""
    import soundfile

    wav_frames(path)
    return soundfile.read(str(path), dtype="float32", always_2d=False)[0]


def wav_blocks(
    path: str | os.PathLike[str], seconds: float = BLOCK_SECONDS
) -> tuple[int, Iterator[np.ndarray]]:
    """(number of samples, an iterator of float32 blocks) of a 16 kHz mono WAV."""
    import soundfile

    frames = wav_frames(path)
    blocks = soundfile.blocks(str(path), blocksize=int(seconds * SAMPLE_RATE), dtype="float32")
    return frames, blocks


def wav_rms(path: str | os.PathLike[str]) -> float:
    """RMS of a whole 16 kHz mono WAV, a block at a time (demux: is the centre silent?)."""
    import numpy as np

    frames, blocks = wav_blocks(path)
    total = sum(float(np.dot(b, b)) for b in blocks)
    return (total / frames) ** 0.5 if frames else 0.0


class WavSlices:
    """A 16 kHz mono WAV that reads only the slices asked for (audio[a:b]), so the speech
    regions of a long movie are decoded without loading the whole track."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.frames = wav_frames(path)

    def __len__(self) -> int:
        return self.frames

    def __getitem__(self, index: slice) -> np.ndarray:
        import soundfile

        start, stop, _ = index.indices(self.frames)
        return soundfile.read(self.path, start=start, stop=max(start, stop), dtype="float32")[0]
