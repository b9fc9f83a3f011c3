"""Generated movies with known speech: the demo, the tests and the benchmarks use them.

espeak-ng voices read a scripted dialogue (so the reference words and their times
are exact), laid over ffmpeg's test picture. Nothing here needs the network.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .media.audio import SAMPLE_RATE as RATE  # the demo's media are what demux writes

# Two speakers, as the diarization models hear them: espeak-ng's en-us voice in its male
# "+m3" and female "+Annie" variants (CAM++ cosine similarity 0.50 between them, 0.85-0.89
# within each; the stock en-us / en-gb pair is 0.88 apart, one voice to the models), both
# transcribed right by tiny.en (it heard the female variants' "Thank you" as "And you",
# so Hayes is greeted with "Hello"). The quick exchange at the end is too short for a
# cue per line, so its two lines share a cue with dialogue dashes.
DIALOGUE: tuple[tuple[str, str], ...] = (
    ("en-us+m3", "Good morning, Captain Reynolds. The ship is ready to leave the harbour."),
    ("en-us+Annie", "Hello, Doctor Hayes. Where are we going today?"),
    ("en-us+m3", "We are flying to the northern islands before the storm arrives."),
    ("en-us+Annie", "Then we must go right now, because the wind is getting stronger."),
    ("en-us+m3", "I will tell the crew to close the doors and start the engines."),
    ("en-us+Annie", "Are you ready?"),
    ("en-us+m3", "Yes, I am."),
)

# Lines in other languages (espeak-ng voices), for the language tests.
GERMAN: tuple[tuple[str, str], ...] = (
    ("de", "Ich weiß nicht, wo meine Schwester heute Abend ist."),
    ("de", "Wir müssen sofort nach Hause fahren, bevor es dunkel wird."),
    ("de", "Das ist wirklich eine sehr gute Idee, vielen Dank."),
)
SPANISH: tuple[tuple[str, str], ...] = (
    ("es", "Buenos días, capitán García. El barco está listo para salir del puerto."),
    ("es", "Tenemos que volver a casa antes de que llegue la tormenta."),
)


def speak(text: str, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """espeak-ng's voice for `text`, as 16 kHz mono float32."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.wav")
        out = os.path.join(tmp, "out.wav")
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", raw, text],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                "file:" + raw,
                "-ac",
                "1",
                "-ar",
                str(RATE),
                "-c:a",
                "pcm_s16le",
                "file:" + out,
            ],
            check=True,
        )
        import soundfile

        audio, _ = soundfile.read(out, dtype="float32")
    return audio


def trim(audio: np.ndarray, level: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > level)
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio[:0]


def dialogue(
    lines: Sequence[tuple[str, str]] = DIALOGUE,
    lead_in: float = 1.0,
    gap: float | Sequence[float] = 0.8,
    tail: float = 1.0,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The spoken dialogue and, for each line, its exact text, voice, start and end.
    `gap`: the silence between lines, one for all or one per gap (cycled)."""
    gaps = [gap] if isinstance(gap, (int, float)) else list(gap)
    parts = [np.zeros(int(lead_in * RATE), np.float32)]
    refs = []
    t = lead_in
    for i, (voice, text) in enumerate(lines):
        if i:
            pause = gaps[(i - 1) % len(gaps)]
            parts.append(np.zeros(int(pause * RATE), np.float32))
            t += pause
        speech = trim(speak(text, voice))
        refs.append(
            {
                "text": text,
                "voice": voice,
                "start": round(t, 3),
                "end": round(t + len(speech) / RATE, 3),
            }
        )
        parts.append(speech)
        t += len(speech) / RATE
    parts.append(np.zeros(int(tail * RATE), np.float32))
    return np.concatenate(parts), refs


def score(seconds: float, seed: int = 0) -> np.ndarray:
    """A loud stand-in for a film score: sawtooth chords and noise bursts in the voice's
    frequency band, so that mixed with dialogue at the same level it masks the words."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    out = np.zeros_like(t)
    beat = 0.5
    for k in range(int(np.ceil(seconds / beat))):
        a, b = int(k * beat * RATE), min(len(t), int((k + 1) * beat * RATE))
        root = 110 * 2 ** (rng.integers(0, 12) / 12)
        for f in root * np.array([1, 1.26, 1.5, 2]):
            for h in range(1, 12):  # a sawtooth's harmonics reach well into speech
                if f * h < RATE / 2:
                    out[a:b] += np.sin(2 * np.pi * f * h * t[a:b]) / h
        out[a : a + RATE // 20] += rng.normal(0, 2.0, min(RATE // 20, b - a))  # a drum hit
    out += rng.normal(0, 0.3, len(t))
    return (out / np.sqrt(np.mean(out**2))).astype(np.float32)


def surround(dialogue: np.ndarray, music_rms: float = 0.2) -> np.ndarray:
    """A 5.1 mix the way films are mixed: the dialogue alone in the centre (FC), a loud
    score in the other five (FL FR LFE BL BR, each its own piece at `music_rms`)."""
    n = len(dialogue)
    mix = np.zeros((n, 6), np.float32)
    mix[:, 2] = dialogue
    for ch in (0, 1, 3, 4, 5):
        mix[:, ch] = music_rms * score(n / RATE, seed=ch)
    return mix


def heard_wer(
    model: Any, audio: np.ndarray, reference: str, vad: Any, opts: Any
) -> tuple[float, int]:
    """(word error rate, speech regions) of the pipeline's path on generated English speech:
    silero's regions, then asr.transcribe, against the reference text. The surround bench
    and its test score the same way, so they share this."""
    import re

    import jiwer

    from .speech import asr
    from .speech.vad import silero

    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z']+", text.lower()))

    regions = silero.detect_speech(audio, vad, threads=2)
    said = ""
    if regions:
        result = asr.transcribe(model, audio, regions, opts, language="en")
        said = " ".join(s["text"] for s in result["segments"])
    return jiwer.wer(words(reference), words(said) or "-"), len(regions)


def write_wav(path: str | os.PathLike[str], audio: np.ndarray) -> None:
    import soundfile

    soundfile.write(str(path), audio, RATE, subtype="PCM_16")


def make_movie(
    path: str | os.PathLike[str],
    audio_tracks: Sequence[dict[str, Any]],
    *,
    duration: float | None = None,
    video: bool = True,
    audio_codec: str | None = None,
    subtitle_srt: str | None = None,
) -> Path:
    """Mux a test picture and audio tracks into `path` (container from its extension).

    Each audio track is {"audio": ndarray (frames, or frames x channels), "language": "eng"?,
    "default": bool?, "offset": seconds the track starts after the picture?, "title": str?,
    "disposition": extra ffmpeg flags such as "comment"?, "layout": "5.1"?}.
    The codecs are the container's usual ones (_CODECS), or `audio_codec`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if duration is None:
        duration = max(len(t["audio"]) / RATE + t.get("offset", 0.0) for t in audio_tracks)
    with tempfile.TemporaryDirectory() as tmp:
        args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
        maps: list[str] = []
        n = 0
        if video:
            args += ["-f", "lavfi", "-i", f"testsrc=size=320x240:rate=24:duration={duration:.3f}"]
            maps += ["-map", f"{n}:v"]
            n += 1
        meta: list[str] = []
        for i, track in enumerate(audio_tracks):
            wav = os.path.join(tmp, f"a{i}.wav")
            write_wav(wav, track["audio"])
            if track.get("layout"):
                args += ["-ch_layout", track["layout"]]
            if track.get("offset"):
                args += ["-itsoffset", str(track["offset"])]
            args += ["-i", "file:" + wav]
            maps += ["-map", f"{n}:a"]
            n += 1
            if track.get("language"):
                meta += [f"-metadata:s:a:{i}", f"language={track['language']}"]
            if track.get("title"):
                meta += [f"-metadata:s:a:{i}", f"title={track['title']}"]
            flags = [f for f in ("default",) if track.get(f)] + (
                [track["disposition"]] if track.get("disposition") else []
            )
            meta += [f"-disposition:a:{i}", "+".join(flags) or "0"]
        if subtitle_srt:
            srt = os.path.join(tmp, "s.srt")
            Path(srt).write_text(subtitle_srt, encoding="utf-8")
            args += ["-i", "file:" + srt]
            maps += ["-map", f"{n}:s"]
            n += 1
        v_codec, a_codec = _CODECS.get(path.suffix.lower(), _CODECS[""])
        codecs = ["-c:a", audio_codec or a_codec]
        if video:
            codecs += ["-c:v", *v_codec, "-pix_fmt", "yuv420p"]
        if subtitle_srt:
            codecs += ["-c:s", "mov_text" if path.suffix.lower() in (".mp4", ".m4v") else "srt"]
        subprocess.run(
            [*args, *maps, *codecs, *meta, "file:" + str(path.resolve())],
            check=True,
        )
    if path.suffix.lower() == ".avi":
        _avi_start(path, [t.get("offset", 0.0) for t in audio_tracks])
    return path


# (video encoder and options, audio encoder) per container; "" is the default.
_CODECS: dict[str, tuple[list[str], str]] = {
    "": (["libx264", "-preset", "ultrafast"], "aac"),
    ".webm": (["libvpx", "-deadline", "realtime", "-cpu-used", "8"], "libopus"),
    ".mpg": (["mpeg2video"], "mp2"),
    ".mpeg": (["mpeg2video"], "mp2"),
    ".avi": (["mpeg4"], "libmp3lame"),
}


def _avi_start(path: Path, offsets: list[float]) -> None:
    """Write each audio stream's start into its AVI header (strh dwStart).

    ffmpeg's AVI muxer drops -itsoffset; AVI files with late audio carry it in dwStart
    (in units of dwScale/dwRate), which ffmpeg's demuxer reads as the first timestamp."""
    import struct

    data = bytearray(path.read_bytes())
    at = 0
    for offset in offsets:
        at = data.find(b"strh", at)
        while at >= 0 and data[at + 8 : at + 12] != b"auds":
            at = data.find(b"strh", at + 4)
        if at < 0:
            raise ValueError(f"{path}: no audio stream header for offset {offset}")
        scale, rate = struct.unpack_from("<II", data, at + 28)
        struct.pack_into("<I", data, at + 36, round(offset * rate / scale))
        at += 4
    path.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write the demo movie (espeak-ng dialogue).")
    p.add_argument("path", nargs="?", default="in/demo.mkv")
    a = p.parse_args(argv)
    if Path(a.path).exists():
        print(f"{a.path} exists; keeping it")
        return 0
    audio, refs = dialogue()
    make_movie(a.path, [{"audio": audio, "language": "eng", "default": True}])
    print(f"wrote {a.path}: {len(audio) / RATE:.1f} s, {len(refs)} lines of dialogue:")
    for r in refs:
        print(f"  {r['start']:6.2f}-{r['end']:6.2f}  {r['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
