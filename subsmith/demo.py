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

from .audio import SAMPLE_RATE as RATE  # the demo's media are what demux writes

# Two people: espeak-ng's en-us voice and its female variant "+f3" (en-us and en-gb are
# one voice to a speaker-embedding model: CAM++ puts them 0.08 apart in cosine distance,
# the +f3 variant 0.5). The last two lines are a quick exchange, which subtitles show in
# one cue with dialogue dashes.
DIALOGUE: tuple[tuple[str, str], ...] = (
    ("en-us", "Good morning, Captain Reynolds. The ship is ready to leave the harbour."),
    ("en-gb+f3", "Thank you, Doctor Hayes. Where are we going today?"),
    ("en-us", "We are flying to the northern islands before the storm arrives."),
    ("en-gb+f3", "Then we should leave right now, because the wind is getting stronger."),
    ("en-us", "I will tell the crew to close the doors and start the engines."),
    ("en-gb+f3", "Are you ready?"),
    ("en-us", "Yes, I am."),
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
    gap: float = 0.8,
    tail: float = 1.0,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The spoken dialogue and, for each line, its exact text, voice, start and end."""
    parts = [np.zeros(int(lead_in * RATE), np.float32)]
    refs = []
    t = lead_in
    for i, (voice, text) in enumerate(lines):
        if i:
            parts.append(np.zeros(int(gap * RATE), np.float32))
            t += gap
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


def write_wav(path: str | os.PathLike[str], audio: np.ndarray) -> None:
    import soundfile

    soundfile.write(str(path), audio, RATE, subtype="PCM_16")


def make_movie(
    path: str | os.PathLike[str],
    audio_tracks: Sequence[dict[str, Any]],
    *,
    duration: float | None = None,
    video: bool = True,
    audio_codec: str = "aac",
    subtitle_srt: str | None = None,
) -> Path:
    """Mux a test picture and audio tracks into `path` (container from its extension).

    Each audio track is {"audio": ndarray, "language": "eng"?, "default": bool?,
    "offset": seconds the track starts after the picture?}.
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
            if track.get("offset"):
                args += ["-itsoffset", str(track["offset"])]
            args += ["-i", "file:" + wav]
            maps += ["-map", f"{n}:a"]
            n += 1
            if track.get("language"):
                meta += [f"-metadata:s:a:{i}", f"language={track['language']}"]
            meta += [f"-disposition:a:{i}", "default" if track.get("default") else "0"]
        if subtitle_srt:
            srt = os.path.join(tmp, "s.srt")
            Path(srt).write_text(subtitle_srt, encoding="utf-8")
            args += ["-i", "file:" + srt]
            maps += ["-map", f"{n}:s"]
            n += 1
        codecs = ["-c:a", audio_codec]
        if video:
            codecs += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        if subtitle_srt:
            codecs += ["-c:s", "mov_text" if path.suffix.lower() in (".mp4", ".m4v") else "srt"]
        subprocess.run(
            [*args, *maps, *codecs, *meta, "file:" + str(path.resolve())],
            check=True,
        )
    return path


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
