"""subsmith.media.audio: the WAV readers give back what was written, a block or a slice at a time."""

from __future__ import annotations

import numpy as np

from subsmith import demo
from subsmith.media.audio import WavSlices, read_wav, wav_blocks


def test_blocks_and_slices_read_what_was_written(short_dialogue, tmp_path):
    audio, _ = short_dialogue
    audio = audio[: len(audio) - 123]  # not a whole number of blocks
    wav = tmp_path / "a.wav"
    demo.write_wav(wav, audio)
    samples = read_wav(wav)
    n, blocks = wav_blocks(wav, seconds=0.7)
    assert n == len(audio) and sum(len(b) for b in blocks) == n
    sliced = WavSlices(wav)
    assert len(sliced) == len(samples)
    assert np.array_equal(sliced[100:900], samples[100:900])
    assert len(sliced[len(samples) - 5 : len(samples) + 50]) == 5
