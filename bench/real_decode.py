"""Decode every real recording in ../shared/data once per model, and diarize it once:
the inputs of bench/subtitles_real.py, cached under bench/work/real/ (JSON, the same
shapes as the workflow's asr/transcript.json and diarization/speakers.json).

    bench/real_decode.py DATA_DIR [--models tiny.en base] [--silero-only]

DATA_DIR holds the corpora as shared/ lays them out (ami-train, speech-dev, film-dev,
speakers-dev, sound-events); a corpus that is missing is left out. Each recording is
decoded as the asr stage decodes a movie (Silero's regions, asr.transcribe with the
shipped options and the model's own beam), and diarized as the diarization stage does
(subsmith.speakers.diarization with the shipped options), in this process: the workflow's own
per-job overhead (about ten Python starts a movie) would cost more than the decoding.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import replace
from math import gcd
from pathlib import Path

import numpy as np
import soundfile
from common import BENCH, CONFIG
from scipy.signal import resample_poly

from subsmith.media.audio import SAMPLE_RATE
from subsmith.speakers import diarization
from subsmith.speech import asr
from subsmith.speech.vad import silero

WORK = BENCH / "work" / "real"
# The real recordings, by corpus: (folder, what the corpus is for here).
CORPORA = {
    "ami-train": "meetings, reference speaker turns",
    "speakers-dev": "broadcast, meeting, distant room: reference speaker turns",
    "speech-dev": "read speech, exact transcripts",
    "film-dev": "1968 film dialogue, silver transcripts",
    "sound-events": "real sound events without speech (the speech clips left out)",
    "sound-events-track": "the same clips end to end in two shuffled orders, as a film's track",
}


def recordings(data: Path) -> list[tuple[str, Path]]:
    """(corpus, wav) of every real recording there, sound-events' speech clips left out
    (they are the negatives of the tagger, not of this bench)."""
    found = []
    for corpus in CORPORA:
        folder = data / corpus
        for wav in sorted(folder.glob("*.wav")):
            if corpus == "sound-events" and wav.stem.startswith("speech_"):
                continue
            found.append((corpus, wav))
    return found


def load(path: Path) -> np.ndarray:
    """16 kHz mono float32, as demux writes it (speech-dev has 22 kHz files)."""
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != SAMPLE_RATE:
        g = gcd(rate, SAMPLE_RATE)
        audio = resample_poly(audio, SAMPLE_RATE // g, rate // g).astype(np.float32)
    return audio


def soundtracks(audio: dict[str, np.ndarray], orders: int = 2) -> dict[str, np.ndarray]:
    """sound-events' clips end to end as a film's effects track, `orders` times in
    seeded shuffled orders with 0.5-3 s of silence between them: the decoder sees each
    event beside others in one 30 s window, as in a film, not alone."""
    import random

    clips = sorted(k for k in audio if k.startswith("sound-events/"))
    out = {}
    for n in range(orders):
        rng = random.Random(n)
        order = clips[:]
        rng.shuffle(order)
        parts = []
        for k in order:
            parts += [audio[k], np.zeros(int(rng.uniform(0.5, 3.0) * SAMPLE_RATE), np.float32)]
        if parts:
            out[f"sound-events-track/order{n}"] = np.concatenate(parts)
    return out


def references(data: Path) -> dict[str, str]:
    """{corpus/stem: reference text} from the transcripts.tsv files."""
    out = {}
    for corpus in ("speech-dev", "film-dev"):
        tsv = data / corpus / "transcripts.tsv"
        if not tsv.exists():
            continue
        with tsv.open(encoding="utf-8") as f:
            for row in csv.reader(f, delimiter="\t"):
                if row and row[0].endswith(".wav"):
                    out[f"{corpus}/{Path(row[0]).stem}"] = row[-1]
    return out


def decode_all(data: Path, models: list[str]) -> dict:
    vad = silero.VadOptions.from_config(CONFIG["silero_vad"])
    shipped = asr.AsrOptions.from_config(CONFIG["asr"])
    todo = recordings(data)
    times: dict[str, float] = {}
    audio = {f"{c}/{w.stem}": load(w) for c, w in todo}
    audio.update(soundtracks(audio))
    regions = {k: silero.detect_speech(a, vad) for k, a in audio.items()}
    for name in models:
        model = asr.load_model(name, "cpu", "int8", threads=2, batch_size=shipped.batch_size)[0]
        opts = replace(shipped, model=name)
        t0 = time.perf_counter()
        for key, samples in audio.items():
            out = WORK / name / f"{key}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            result = asr.transcribe(model, samples, regions[key], opts, language="en")
            out.write_text(json.dumps(result), encoding="utf-8")
        times[name] = round(time.perf_counter() - t0, 1)
        print(f"{name}: {len(audio)} recordings in {times[name]} s", file=sys.stderr)
    dopts = diarization.DiarizationOptions.from_config(CONFIG["diarization"])
    pipeline, about = diarization.load_pipeline(dopts, 2)
    t0 = time.perf_counter()
    for key, samples in audio.items():
        out = WORK / "speakers" / f"{key}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        if regions[key]:
            turns = diarization.diarize(pipeline, samples, dopts, None, regions[key])
            result = diarization.summary(turns, about)
        else:
            result = diarization.no_speech("no speech")
        out.write_text(json.dumps(result), encoding="utf-8")
        (WORK / "silero" / f"{key}.json").parent.mkdir(parents=True, exist_ok=True)
        (WORK / "silero" / f"{key}.json").write_text(
            json.dumps({"speech": regions[key]}), encoding="utf-8"
        )
    times["diarization"] = round(time.perf_counter() - t0, 1)
    seconds = {k: round(len(a) / SAMPLE_RATE, 3) for k, a in audio.items()}
    meta = {"models": models, "seconds": seconds, "decode_seconds": times}
    (WORK / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    (WORK / "references.json").write_text(json.dumps(references(data)), encoding="utf-8")
    return meta


def silero_only(data: Path) -> None:
    """Rewrite only the cached Silero regions (seconds, not minutes): the regions are the
    same as the decodes used, now with each region's peak probability (issue 28)."""
    vad = silero.VadOptions.from_config(CONFIG["silero_vad"])
    audio = {f"{c}/{w.stem}": load(w) for c, w in recordings(data)}
    audio.update(soundtracks(audio))
    for key, samples in audio.items():
        out = WORK / "silero" / f"{key}.json"
        regions = silero.detect_speech(samples, vad)
        old = json.loads(out.read_text())["speech"] if out.exists() else None
        if old is not None and [(r["start"], r["end"]) for r in old] != [
            (r["start"], r["end"]) for r in regions
        ]:
            raise SystemExit(f"{out}: Silero's regions changed; rerun the whole decode")
        out.write_text(json.dumps({"speech": regions}), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    ap.add_argument("--silero-only", action="store_true", help="only the Silero regions")
    args = ap.parse_args(argv)
    if args.silero_only:
        silero_only(args.data)
    else:
        decode_all(args.data, args.models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
