"""Long-form movies from a folder of real recordings with exact transcripts
(bench/speech_dev.py's and asr_profile.py's; names.py loads its clips here too).

Passages of real speech (one to three consecutive recordings, with the reader's own short
pauses between them) separated by silences, music and noise of varied lengths, so that
a 30 s decoding window holds the end of one passage and the start of the next. The layout
is drawn from a fixed seed: nothing is tuned to these files.
"""

from __future__ import annotations

import csv
import random
import re
import subprocess
from pathlib import Path

import numpy as np

RATE = 16000


# ---------------------------------------------------------------- building the movies


def load_clip(path: Path) -> np.ndarray:
    """Any WAV as 16 kHz mono float32 (ffmpeg resamples; no shell)."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f"file:{path}"]
        + ["-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.float32).copy()


def load_clips(folder: Path) -> list[dict]:
    """The recordings of transcripts.tsv, in its order (consecutive sentences of a book
    stay next to each other, as a reader reads them)."""
    rows = list(csv.reader((folder / "transcripts.tsv").open(encoding="utf-8"), delimiter="\t"))
    clips = []
    for name, text in rows:
        clips.append({"name": name, "text": text.strip(), "audio": load_clip(folder / name)})
    return clips


def music(seconds: float, rng: random.Random) -> np.ndarray:
    """A score: plucked chords on a beat, a hi-hat and hiss (no voice in it)."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    beats = rng.choice([1.0, 2.0, 4.0])
    base = rng.uniform(110, 330)
    for k in range(int(seconds * beats) + 1):
        a, b = int(k * RATE / beats), min(n, int((k + 1) * RATE / beats))
        if a >= n:
            break
        root = base * 2 ** (rng.randrange(-5, 6) / 12)
        env = np.exp(-3 * beats * (t[a:b] - a / RATE))
        for f in (root, root * 1.26, root * 1.5):
            out[a:b] += 0.12 * env * np.sin(2 * np.pi * f * t[a:b])
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    out += nrng.normal(0, 0.04, n) * (np.mod(t, 0.5 / beats) < 0.03)
    return out.astype(np.float32)


def noise(seconds: float, rng: random.Random) -> np.ndarray:
    """Street or room noise: brown-ish noise at a varied level."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    white = nrng.normal(0, 1, int(seconds * RATE))
    brown = np.cumsum(white)
    brown -= np.convolve(brown, np.ones(800) / 800, mode="same")  # no drift
    brown /= np.abs(brown).max() + 1e-9
    return (rng.choice([0.02, 0.05, 0.1]) * brown).astype(np.float32)


def gap(rng: random.Random) -> tuple[str, np.ndarray]:
    kind = rng.choice(["silence", "music", "noise", "music", "silence"])
    seconds = {
        "silence": rng.uniform(0.8, 6.0),
        "music": rng.uniform(2.0, 12.0),
        "noise": rng.uniform(1.5, 8.0),
    }[kind]
    if kind == "silence":
        return kind, np.zeros(int(seconds * RATE), np.float32)
    return kind, music(seconds, rng) if kind == "music" else noise(seconds, rng)


def sentences_of(text: str) -> list[str]:
    """A transcript's sentences (a recording may hold a fragment of one: then it is one)."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?;])\s+", text) if p.strip()]
    return parts or [text]


def build_movies(
    clips: list[dict], n_movies: int, seed: int = 22, reuse: int = 1, prefix: str = "movie"
) -> list[dict]:
    """Split the recordings over n_movies movies; each movie: passages of 1-3 consecutive
    recordings (0.4-0.9 s reader's pauses inside), gaps of silence/music/noise between
    passages, a second of room tone at both ends, a faint room tone under everything.

    reuse > 1 makes longer, film-like movies from the same recordings: each recording is
    used `reuse` times, each time in a newly drawn order (so with other neighbours, in
    other windows). The decoder keeps nothing from one run to the next, so a recording
    heard again is decoded afresh; reuse 1 gives the same movies as before it existed."""
    rng = random.Random(seed)
    # Voices mixed as in a film's dialogue: the recordings in a drawn order, except that a
    # recording and the one after it in the book may stay together in one passage.
    drawn: list[dict] = []
    for _ in range(reuse):
        copy = clips[:]
        rng.shuffle(copy)
        drawn += copy
    clips = drawn
    per = -(-len(clips) // n_movies)
    movies = []
    for m in range(n_movies):
        own = clips[m * per : (m + 1) * per]
        if not own:
            break
        parts: list[np.ndarray] = [np.zeros(RATE, np.float32)]
        at = RATE
        passages = []
        i = 0
        while i < len(own):
            take = own[i : i + rng.choice([1, 1, 2, 3])]
            i += len(take)
            start = at / RATE
            sents = []
            for k, c in enumerate(take):
                if k:
                    pause = np.zeros(int(rng.uniform(0.4, 0.9) * RATE), np.float32)
                    parts.append(pause)
                    at += len(pause)
                parts.append(c["audio"])
                at += len(c["audio"])
                sents += sentences_of(c["text"])
            passages.append(
                {"start": round(start, 3), "end": round(at / RATE, 3), "sentences": sents}
            )
            kind, g = gap(rng) if i < len(own) else ("silence", np.zeros(RATE, np.float32))
            parts.append(g)
            at += len(g)
            passages[-1]["gap_after"] = f"{kind} {len(g) / RATE:.1f} s"
        audio = np.concatenate(parts)
        room = np.random.default_rng(seed + m).normal(0, 0.002, len(audio)).astype(np.float32)
        movies.append({"name": f"{prefix}{m + 1}", "audio": audio + room, "passages": passages})
    return movies
