"""Bench inputs, made here from espeak-ng voices and ffmpeg (no downloads).

- speech_track(): ~N minutes of varied two-voice dialogue (16 kHz mono float32) with the
  exact reference text of each line.
- feature_track(): a feature-length track, half dialogue (the speech track, repeated)
  and half quiet room noise, as a movie's is.
- long_track(): a 2-hour WAV, mostly silence and tone with a little speech, written in
  blocks so the bench itself never holds it in memory.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import numpy as np
import soundfile

from subsmith import demo

RATE = demo.RATE

SUBJECTS = (
    "Captain Reynolds",
    "Doctor Hayes",
    "The old fisherman",
    "Our pilot",
    "Professor Lang",
    "The young engineer",
    "My sister Helen",
    "The station master",
    "A tall stranger",
    "The night nurse",
    "Inspector Moore",
    "The baker next door",
    "Our neighbour Tom",
    "The museum guide",
)
PREDICATES = (
    "found a map hidden under the floor of the lighthouse",
    "said the train to the capital leaves at seven in the morning",
    "wants to repair the radio before the storm reaches the coast",
    "has never seen so many birds flying over the river",
    "forgot the keys to the blue car in the kitchen",
    "is writing a long letter to the mayor about the broken bridge",
    "bought three loaves of bread and a jar of honey at the market",
    "believes the missing painting is still somewhere in this house",
    "will meet us at the harbour after the concert tonight",
    "counted forty two boxes of apples in the cold warehouse",
    "asked whether the library opens early on Saturday",
    "heard a strange noise coming from the empty factory",
    "is teaching the children how to sail a small wooden boat",
    "told everyone that the winter will be longer than usual",
    "carried the heavy suitcase all the way up the mountain road",
    "is waiting for the doctor in the green room upstairs",
)
VOICES = ("en-us", "en-gb", "en-us+f2", "en-gb+m3")


def sentences(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """n distinct (voice, sentence) lines: every subject meets every predicate once."""
    combos = [(s, p) for s in SUBJECTS for p in PREDICATES]
    random.Random(seed).shuffle(combos)
    if n > len(combos):
        raise ValueError(f"at most {len(combos)} distinct sentences")
    return [(VOICES[i % len(VOICES)], f"{s} {p}.") for i, (s, p) in enumerate(combos[:n])]


def speech_track(
    work: Path, minutes: float, gap: float = 0.8
) -> tuple[Path, list[dict], np.ndarray]:
    """A WAV of at least `minutes` of dialogue (cached under work/) and its references."""
    wav = work / f"speech_{minutes:g}min.wav"
    refs_file = wav.with_suffix(".json")
    if wav.exists() and refs_file.exists():
        audio, _ = soundfile.read(str(wav), dtype="float32")
        return wav, json.loads(refs_file.read_text()), audio
    work.mkdir(parents=True, exist_ok=True)
    # espeak-ng at 150 wpm: ~3.8 s per line, plus the gap.
    n = max(2, int(minutes * 60 / (3.8 + gap)) + 1)
    audio, refs = demo.dialogue(sentences(n), lead_in=1.0, gap=gap, tail=1.0)
    while len(audio) / RATE < minutes * 60 * 0.97 and n < len(SUBJECTS) * len(PREDICATES):
        n = min(len(SUBJECTS) * len(PREDICATES), int(n * 1.1) + 2)
        audio, refs = demo.dialogue(sentences(n), lead_in=1.0, gap=gap, tail=1.0)
    demo.write_wav(wav, audio)
    refs_file.write_text(json.dumps(refs))
    return wav, refs, audio


def long_track(work: Path, hours: float = 2.0, speech_every_s: float = 900.0) -> tuple[Path, dict]:
    """hours of 16 kHz mono: silence, a quiet 440 Hz tone for a minute every 10 minutes,
    and a short dialogue every `speech_every_s` seconds. Written block by block."""
    wav = work / f"long_{hours:g}h.wav"
    meta_file = wav.with_suffix(".json")
    if wav.exists() and meta_file.exists():
        return wav, json.loads(meta_file.read_text())
    work.mkdir(parents=True, exist_ok=True)
    speech, refs = demo.dialogue(demo.DIALOGUE[:3], lead_in=0.5, gap=0.8, tail=0.5)
    total = int(hours * 3600 * RATE)
    block = 60 * RATE
    t_tone = np.arange(block) / RATE
    tone = (0.05 * np.sin(2 * np.pi * 440 * t_tone)).astype(np.float32)
    noise = np.random.default_rng(0)
    inserts = []
    with soundfile.SoundFile(
        str(wav), "w", samplerate=RATE, channels=1, subtype="PCM_16", format="WAV"
    ) as f:
        for start in range(0, total, block):
            n = min(block, total - start)
            minute = start // block
            buf = (
                tone[:n].copy()
                if minute % 10 == 5
                else (0.001 * noise.standard_normal(n)).astype(np.float32)
            )
            # one dialogue at the start of every speech_every_s window (after 30 s)
            at = int((start // RATE) // speech_every_s * speech_every_s * RATE + 30 * RATE)
            if start <= at < start + n and at + len(speech) <= start + n:
                buf[at - start : at - start + len(speech)] += speech
                inserts.append(round(at / RATE, 3))
            f.write(buf)
    meta = {
        "seconds": total / RATE,
        "speech_inserts": inserts,
        "speech_seconds_each": round(len(speech) / RATE, 3),
        "lines": [r["text"] for r in refs],
    }
    meta_file.write_text(json.dumps(meta))
    return wav, meta


def feature_track(work: Path, speech_wav: Path, repeats: int = 4) -> Path:
    """`repeats` x (the dialogue of speech_wav, then as long again of faint noise): about
    half speech, like a feature film's soundtrack. Written block by block."""
    wav = work / f"feature_{repeats}x_{speech_wav.stem}.wav"
    if wav.exists():
        return wav
    speech, rate = soundfile.read(str(speech_wav), dtype="float32")
    assert rate == RATE
    noise = np.random.default_rng(1)
    tmp = wav.with_name(".tmp." + wav.name)
    with soundfile.SoundFile(
        str(tmp), "w", samplerate=RATE, channels=1, subtype="PCM_16", format="WAV"
    ) as f:
        for _ in range(repeats):
            f.write(speech)
            for start in range(0, len(speech), 60 * RATE):
                n = min(60 * RATE, len(speech) - start)
                f.write((0.001 * noise.standard_normal(n)).astype(np.float32))
    tmp.rename(wav)
    return wav


def wav_to_movie(wav: Path, out: Path, *, video: bool, codec: str = "aac") -> Path:
    """Wrap a WAV into a movie file (ffmpeg's test picture when video=True)."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    dur = soundfile.info(str(wav)).duration
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc=size=320x240:rate=24:duration={dur:.3f}"]
    args += ["-i", "file:" + str(wav.resolve())]
    if video:
        args += ["-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast"]
        args += ["-pix_fmt", "yuv420p"]
    args += ["-c:a", codec, "-metadata:s:a:0", "language=eng"]
    tmp = out.with_name(".tmp." + out.name)
    subprocess.run([*args, "file:" + str(tmp.resolve())], check=True)
    tmp.rename(out)
    return out
