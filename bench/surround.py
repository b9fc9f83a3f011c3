"""Which mono signal carries a surround film's dialogue best: measured, not assumed.

A 5.1 mix is built the way films are mixed (demo.surround: espeak-ng dialogue alone in
the centre channel, a loud score in the other five at RMS = level x 0.1, the speech's
RMS), for a few music levels. Each candidate extraction goes through the pipeline's own
path (demux's extract_audio, Silero VAD, tiny.en) and is scored by word error rate
(jiwer) against the script:

- centre: the centre channel alone (`pan=mono|c0=FC`, demux.downmix: center / auto)
- weighted: the centre plus 0.3 x each front channel (a "centre-weighted downmix")
- all: ffmpeg's standard downmix of every channel (demux.downmix: all; what demux did before)

and, for reference, a plain stereo movie (the same dialogue in both channels, quiet music
in one), which has no centre and is downmixed whole in every mode.

    .venv/bin/python bench/surround.py
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from subsmith import demo
from subsmith.core import settings
from subsmith.media import probe as media
from subsmith.media.audio import read_wav
from subsmith.speech import asr
from subsmith.speech.vad import silero

LOG = logging.getLogger("bench")
CONFIG = settings.load()
VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])
ASR = asr.AsrOptions.from_config(CONFIG["asr"])
CANDIDATES = {"centre": media.CENTRE, "weighted": "mono|c0=FC+0.3*FL+0.3*FR", "all": None}


def score(model, movie: Path, wav: Path, pan: str | None, reference: str) -> tuple[float, int]:
    info = media.probe(movie)
    media.extract_audio(movie, wav, info, media.audio_streams(info)[0], LOG, pan=pan)
    return demo.heard_wer(model, read_wav(wav), reference, VAD, ASR)


def main() -> int:
    t0 = time.time()
    audio, refs = demo.dialogue(demo.DIALOGUE[:3], lead_in=0.5, tail=0.5)
    reference = " ".join(r["text"] for r in refs)
    model, about = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    print(f"{len(audio) / demo.RATE:.1f} s of dialogue ({len(refs)} lines), {about['model']}\n")
    print("| movie | music RMS / speech RMS (each channel) | extraction | VAD regions | WER |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for level in (1.0, 2.0, 4.0):
            mix = demo.surround(audio, 0.1 * level)
            movie = demo.make_movie(
                Path(tmp) / "51.mkv", [{"audio": mix, "layout": "5.1"}], video=False
            )
            for name, pan in CANDIDATES.items():
                wer, n = score(model, movie, Path(tmp) / "a.wav", pan, reference)
                print(f"| 5.1 | {level:g} | {name} | {n} | {wer:.1%} |")
        stereo = np.stack([audio + 0.05 * demo.score(len(audio) / demo.RATE, 1), audio], axis=1)
        movie = demo.make_movie(Path(tmp) / "st.mkv", [{"audio": stereo}], video=False)
        wer, n = score(model, movie, Path(tmp) / "a.wav", None, reference)
        print(f"| stereo | 0.5 (one channel) | all | {n} | {wer:.1%} |")
    print(f"\n{time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
