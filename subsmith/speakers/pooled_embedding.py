"""CAM++ embeddings for every (chunk, local speaker) from ONE pass of the network over the audio.

pyannote's pipeline embeds each local speaker of each 10 s chunk by running the embedding
network on that chunk under the speaker's mask. Chunks overlap (a 1 s step means every
second of audio is in 10 chunks) and each chunk has up to 3 speakers, so the network sees
the audio about ten times over (its CPU time per audio hour: bench/diarization.md, the
"previous" row).

CAM++ ends in statistics pooling (mean and standard deviation over time) and one dense
layer. Everything before the pooling is a frame-level network with a short receptive field,
so it is run once over the audio (in blocks of chunks, so memory stays bounded on a
2-hour movie), and each (chunk, speaker) embedding pools the frames under its own mask
and goes through the dense layer: the same embedding, up to the few frames of context at
the mask's edges. Measured in bench/diarization.md (DER beside the masked per-chunk path).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..media.audio import SAMPLE_RATE

HOP = 0.02  # seconds per CAM++ frame-level output (10 ms fbank, one stride-2 layer)
CONTEXT = 1.0  # seconds of audio either side of a block, so its edges see real context
MIN_FRAMES = 10  # fewer pooled frames than this (0.2 s) gives NaN: too little to embed


def fbank(samples: Any) -> Any:
    """80-bin Kaldi log-mel filterbank (T, 80) of 16 kHz samples, mean-normalised over T,
    as CAM++ was trained."""
    from torchaudio.compliance import kaldi

    feats = kaldi.fbank(
        samples.reshape(1, -1).float() * (1 << 15),
        num_mel_bins=80,
        sample_frequency=SAMPLE_RATE,
        dither=0.0,
    )
    return feats - feats.mean(dim=0, keepdim=True)


def channels_last(model: Any) -> Any:
    """CAM++ with its 2-D convolution head (the FCM: a small ResNet over the 80-bin
    filterbank image, about half the frame-level time) in channels-last memory order,
    which oneDNN's convolutions run faster on CPU (about 1.4x, measured by
    bench/diar_channels_last.py).
    Same weights, same results up to float rounding (~1e-6 relative). Done in place,
    once: converting a module already in that order changes nothing."""
    import torch

    return model.head.to(memory_format=torch.channels_last)


def frame_level(model: Any, feats: Any) -> Any:
    """CAM++'s output before statistics pooling: (channels, T / 2) for (T, 80) features."""
    x = model.head(feats.T.unsqueeze(0))
    for name, layer in model.xvector.named_children():
        if name == "stats":
            break
        x = layer(x)
    return x[0]


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim).

    Each block's network pass allocates tens of MB of tensors whose sizes change with the
    block's speech span; glibc keeps what they free in its heap instead of returning it, so
    on a 2-hour movie the process grew by ~2 GB over the embedding pass (bench/diar_long.py;
    the stage's peak now: bench/diarization.md, "Long track"). Elsewhere than glibc this
    does nothing."""
    import ctypes

    try:  # the process's own symbols: libc is loaded, no library lookup needed
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def speech_span(
    data: np.ndarray, start: float, chunk_duration: float, chunk_step: float
) -> tuple[float, float] | None:
    """(first, last) second any speaker is active in these consecutive chunks, or None.

    The frame-level network is the embedding's whole cost, so it runs only from the first
    to the last speech of a block: a movie's music and silence cost nothing."""
    num_chunks, num_frames, _ = data.shape
    active = data.max(axis=2) > 0  # (chunks, frames)
    if not active.any():
        return None
    frame = chunk_duration / num_frames
    chunks, frames = np.nonzero(active)
    times = start + chunks * chunk_step + frames * frame
    return float(times.min()), float(times.max() + frame)


def pooled_embeddings(
    model: Any,
    waveform: Any,
    segmentations: np.ndarray,
    chunk_start: float,
    chunk_duration: float,
    chunk_step: float,
    exclude_overlap: bool = False,
    block_seconds: float = 60.0,
) -> np.ndarray:
    """(chunks, local speakers, dim) embeddings, NaN where a speaker has too little speech.

    segmentations: (chunks, frames, local speakers) binary activity (pyannote's binarized
    segmentation); exclude_overlap: pool only frames where the speaker talks alone, when
    that leaves enough of them."""
    import torch

    data = np.nan_to_num(segmentations).astype(np.float32)
    num_chunks, num_frames, num_local = data.shape
    samples = waveform.reshape(-1)
    total = samples.shape[0]
    per_chunk = int(round(chunk_duration / HOP))
    # the segmentation frame under each CAM++ frame of a chunk
    pick = np.minimum((np.arange(per_chunk) * num_frames / per_chunk).astype(int), num_frames - 1)
    alone = data * (data.sum(axis=2, keepdims=True) < 2)
    block = max(1, int(round(block_seconds / chunk_step)))
    channels_last(model)
    dense = model.xvector.dense
    out: np.ndarray | None = None
    with torch.inference_mode():
        for c0 in range(0, num_chunks, block):
            c1 = min(num_chunks, c0 + block)
            span = speech_span(
                data[c0:c1], chunk_start + c0 * chunk_step, chunk_duration, chunk_step
            )
            if span is None:  # music, silence: no speaker to embed, no network time
                continue
            t0, t1 = span
            a = max(0, int((t0 - CONTEXT) * SAMPLE_RATE))
            b = min(total, int((t1 + CONTEXT) * SAMPLE_RATE))
            if b - a < 400:
                continue
            release_freed_memory()
            frames = frame_level(model, fbank(samples[a:b]))  # (channels, T)
            if out is None:
                dim = dense(torch.zeros(2, 2 * frames.shape[0])).shape[-1]
                out = np.full((num_chunks, num_local, dim), np.nan, dtype=np.float32)
            length = frames.shape[1]
            items, rows = [], []
            for c in range(c0, c1):
                j0 = int(round((chunk_start + c * chunk_step - a / SAMPLE_RATE) / HOP))
                lo, hi = max(0, j0), min(length, j0 + per_chunk)
                if hi <= lo:
                    continue
                for s in range(num_local):
                    mask = data[c, pick, s]
                    if exclude_overlap and alone[c, pick, s].sum() >= MIN_FRAMES:
                        mask = alone[c, pick, s]
                    weights = np.zeros(length, dtype=np.float32)
                    weights[lo:hi] = mask[lo - j0 : hi - j0]
                    if weights.sum() >= MIN_FRAMES:
                        items.append((c, s))
                        rows.append(weights)
            if not rows:
                continue
            w = torch.from_numpy(np.stack(rows))
            n = w.sum(dim=1, keepdim=True)
            x = frames.T
            mean = w @ x / n
            var = (w @ (x * x) - n * mean * mean) / (n - 1)
            stats = torch.cat([mean, var.clamp_min(1e-10).sqrt()], dim=1)
            for (c, s), e in zip(items, dense(stats).numpy(), strict=True):
                out[c, s] = e
    if out is None:
        out = np.full((num_chunks, num_local, 192), np.nan, dtype=np.float32)
    return out


def install(pipeline: Any, model: Any) -> None:
    """Make a pyannote SpeakerDiarization pipeline embed through pooled_embeddings, with
    `model` the CAM++ network. Same call and answer as its own get_embeddings."""

    def get_embeddings(
        file: Any, binary_segmentations: Any, exclude_overlap: bool = False, hook: Any = None
    ):
        sw = binary_segmentations.sliding_window
        return pooled_embeddings(
            model,
            file["waveform"],
            binary_segmentations.data,
            sw.start,
            sw.duration,
            sw.step,
            exclude_overlap=exclude_overlap,
        )

    pipeline.get_embeddings = get_embeddings
