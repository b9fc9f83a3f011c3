"""CAM++'s convolution head in channels-last order vs torch's default, side by side:
`python bench/diar_channels_last.py DATA_DIR [--threads 2]`.

The pooled CAM++ pass (subsmith/speakers/pooled_embedding.py) on DATA_DIR's WAVs end to end (real
speech, segmentation-3.0's own speaker masks), run alternately with the default memory
order and channels-last, twice each; prints the CPU seconds of each and the largest
difference between their embeddings (the accuracy side: the same embeddings up to float
rounding)."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import subsmith.speakers.diarization  # noqa: E402, F401  (sets torch's OpenMP wait policy first)

# isort: split
import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import diar_extract as de
    import torch

    from subsmith.speakers import pooled_embedding as pe
    from subsmith.speakers import speaker_embedding

    torch.set_num_threads(args.threads)
    pipe = de.load_pipeline()
    wavs = [de.read_file(p)["waveform"] for p in sorted(args.data_dir.glob("*.wav"))]
    wav = torch.cat(wavs, dim=1)
    segs = pipe.get_segmentations({"waveform": wav, "sample_rate": de.SAMPLE_RATE})
    sw = segs.sliding_window
    models = {
        "default": speaker_embedding.CamPlusEmbedding().model_.eval(),
        "channels_last": speaker_embedding.CamPlusEmbedding().model_.eval(),
    }
    convert = pe.channels_last
    cpu: dict[str, list[float]] = {name: [] for name in models}
    out = {}
    for _ in range(2):
        for name, model in models.items():
            pe.channels_last = convert if name == "channels_last" else (lambda m: None)
            t = time.process_time()
            out[name] = pe.pooled_embeddings(model, wav, segs.data, sw.start, sw.duration, sw.step)
            cpu[name].append(time.process_time() - t)
    pe.channels_last = convert
    audio_h = wav.shape[1] / de.SAMPLE_RATE / 3600
    gap = float(np.nanmax(np.abs(out["default"] - out["channels_last"])))
    scale = float(np.nanmax(np.abs(out["default"])))
    for name, times in cpu.items():
        best = min(times)
        print(f"{name}: {best:.2f} CPU s ({best / audio_h / 60:.2f} CPU min per audio hour)")
    print(
        f"channels_last / default CPU: {min(cpu['channels_last']) / min(cpu['default']):.2f}; "
        f"largest embedding difference {gap:.1e} (largest value {scale:.2f}); "
        f"{wav.shape[1] / de.SAMPLE_RATE:.0f} s of audio, {args.threads} threads"
    )


if __name__ == "__main__":
    main()
