"""ffmpeg/ffprobe work: probe a movie, extract its speech audio, mux subtitles in.

Commands are built by ffmpeg-python as argument lists and run without a shell, and
every path is passed as `file:<absolute path>`, so names with spaces, quotes,
`$()`, a leading dash or a colon reach ffmpeg untouched and are never options or
protocols.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from . import languages
from .audio import SAMPLE_RATE, wav_duration
from .errors import StageError
from .settings import options

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class MuxOptions:
    """The `mux:` config section: how the new subtitle track is labelled."""

    title: str  # a template: {language_name} ("English") and {language} ("en")
    default: bool  # players show the track without being asked
    forced: bool

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> MuxOptions:
        return options(cls, cfg, "mux")

    def track_title(self, language: str) -> str:
        return self.title.format(language_name=languages.name(language), language=language)


def ffmpeg_path(path: str | os.PathLike[str]) -> str:
    return "file:" + os.path.abspath(path)


def probe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """ffprobe facts, or a StageError naming the file and the fix."""
    path = Path(path)
    if not path.exists():
        raise StageError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise StageError(f"{path}: the file is empty (0 bytes); copy or re-rip the movie again")
    try:
        info = ffmpeg.probe(ffmpeg_path(path))
    except ffmpeg.Error as exc:
        reason = _last_line(exc.stderr) or "unreadable"
        raise StageError(
            f"{path}: ffprobe cannot read this file as a movie ({reason}); "
            "check that it is a complete video file, or re-download/re-rip it"
        ) from None
    if not info.get("streams"):
        raise StageError(f"{path}: no audio or video streams found; is it really a movie?")
    return info


def _last_line(stderr: bytes | str | None) -> str:
    if not stderr:
        return ""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def audio_streams(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]


def choose_audio_stream(info: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    """The stream in `language` if asked and present, else the default one, else the first."""
    streams = audio_streams(info)
    if not streams:
        raise StageError("the movie has no audio stream: there is no speech to subtitle")
    if language:
        for s in streams:
            if languages.same_language((s.get("tags") or {}).get("language"), language):
                return s
    for s in streams:
        if (s.get("disposition") or {}).get("default"):
            return s
    return streams[0]


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def movie_clock_offset(info: dict[str, Any], stream: dict[str, Any]) -> float:
    """Seconds between the movie's time zero and the first sample of `stream`.

    Players show time relative to the container's start. When the audio starts
    later than that (common in web releases), audio.wav is padded by this much so
    that its second 0 is the movie's second 0.
    """
    start = _float((info.get("format") or {}).get("start_time"))
    a = _float(stream.get("start_time"))
    if start is None or a is None:
        return 0.0
    return max(0.0, a - start)


def run_ffmpeg(
    args: list[str], duration: float | None, progress: Progress | None, log: logging.Logger
) -> None:
    """Run ffmpeg (argv list), feeding its -progress output to `progress`."""
    cmd = [
        args[0],
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-progress",
        "pipe:1",
        "-nostats",
        *args[1:],
    ]
    log.info("running: %s", " ".join(repr(a) for a in cmd))
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and progress and duration:
            t = (_float(value) or 0.0) / 1e6
            progress(min(1.0, t / duration), f"{t:.0f} of {duration:.0f} s")
    stderr = proc.stderr.read() if proc.stderr else ""
    code = proc.wait()
    if stderr.strip():
        log.info("ffmpeg said:\n%s", stderr.strip())
    if code != 0:
        # A full disk is the cause even when ffmpeg's last words are "Conversion failed!".
        full = [ln.strip() for ln in stderr.splitlines() if "No space left on device" in ln]
        reason = full[-1] if full else _last_line(stderr) or f"exit code {code}"
        raise StageError(f"ffmpeg failed ({reason})")


def extract_audio(
    src: str | os.PathLike[str],
    wav: str | os.PathLike[str],
    info: dict[str, Any],
    stream: dict[str, Any],
    log: logging.Logger,
    progress: Progress | None = None,
) -> None:
    """Decode one audio stream to 16 kHz mono PCM on the movie's clock.

    `aresample=async=1:first_pts=0` pads the start with silence up to the stream's
    first timestamp (relative to the movie's start) and fills gaps inside it, so
    every sample sits at its movie time.
    """
    out = (
        ffmpeg.input(ffmpeg_path(src))[str(stream["index"])]
        .filter("aresample", **{"async": 1, "first_pts": 0})
        .output(ffmpeg_path(wav), ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le", f="wav")
        .overwrite_output()
    )
    duration = _float((info.get("format") or {}).get("duration"))
    try:
        run_ffmpeg(out.compile(), duration, progress, log)
    except StageError as exc:
        # A partial wav is of no use, and on a full disk removing it frees the room
        # the job needs to record why it failed.
        try:
            os.unlink(wav)
        except OSError:
            pass
        if "no space left on device" in str(exc).lower():
            raise StageError(
                f"{wav}: no space left on device while extracting the audio of {src}; "
                "free some space or set output_dir to a bigger disk"
            ) from None
        raise StageError(
            f"{src}: cannot decode audio stream #{stream['index']} "
            f"({stream.get('codec_name') or 'unknown codec'}): {exc}; "
            "re-encode or re-rip the file"
        ) from None


def demux(
    src: str | os.PathLike[str],
    wav: str | os.PathLike[str],
    audio_language: str | None,
    log: logging.Logger,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Probe `src`, extract its speech audio to `wav`, and return the facts for media.json."""
    info = probe(src)
    try:
        stream = choose_audio_stream(info, audio_language)
    except StageError as exc:
        raise StageError(f"{src}: {exc}") from None
    if audio_language and not languages.same_language(
        (stream.get("tags") or {}).get("language"), audio_language
    ):
        log.warning("no audio stream in %r; using stream #%s", audio_language, stream["index"])
    offset = movie_clock_offset(info, stream)
    extract_audio(src, wav, info, stream, log, progress)
    decoded = wav_duration(wav)
    declared = _float((info.get("format") or {}).get("duration"))
    if decoded < 0.5:
        raise StageError(
            f"{src}: the audio stream decodes to {decoded:.2f} s of sound; "
            "the file is too short or its audio is broken"
        )
    if declared and decoded < 0.9 * declared and declared - decoded > 5.0:
        raise StageError(
            f"{src}: the audio ends at {decoded:.1f} s but the file says it lasts "
            f"{declared:.1f} s; the file looks truncated, re-download or re-rip it"
        )
    return {
        "input": str(src),
        "format": {
            k: (info.get("format") or {}).get(k)
            for k in ("format_name", "duration", "start_time", "size", "bit_rate")
        },
        "streams": [
            {
                "index": s.get("index"),
                "type": s.get("codec_type"),
                "codec": s.get("codec_name"),
                "language": (s.get("tags") or {}).get("language"),
                "start_time": s.get("start_time"),
                "default": bool((s.get("disposition") or {}).get("default")),
            }
            for s in info.get("streams", [])
        ],
        "audio_stream": {
            "index": stream["index"],
            "codec": stream.get("codec_name"),
            "language": (stream.get("tags") or {}).get("language"),
            "channels": stream.get("channels"),
            "sample_rate": stream.get("sample_rate"),
        },
        "movie_clock_offset": round(offset, 3),
        "wav": {"path": str(wav), "sample_rate": SAMPLE_RATE, "duration": round(decoded, 3)},
    }


# Streams Matroska holds: video, audio, subtitles, attachments (fonts). Data streams
# (e.g. an MP4 timecode track) have no place in MKV and are left out.
_KEPT = ("video", "audio", "subtitle", "attachment")
# Subtitle codecs that must become SRT text to live in Matroska.
_TO_SRT = {"mov_text"}


def mux(
    src: str | os.PathLike[str],
    srt: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    language: str,
    title: str,
    default: bool,
    forced: bool,
    log: logging.Logger,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Copy every stream of `src` (no re-encode) and add `srt` as a new subtitle track."""
    info = probe(src)
    kept = [s for s in info["streams"] if s.get("codec_type") in _KEPT]
    subs = [s for s in kept if s.get("codec_type") == "subtitle"]
    movie = ffmpeg.input(ffmpeg_path(src))
    sub_in = ffmpeg.input(ffmpeg_path(srt), f="srt")
    streams = [movie[str(s["index"])] for s in kept] + [sub_in["0"]]
    n = len(subs)  # index of the new track among the output's subtitle streams
    kwargs: dict[str, Any] = {"c": "copy", f"c:s:{n}": "srt", "f": "matroska"}
    for i, s in enumerate(subs):
        if s.get("codec_name") in _TO_SRT:
            kwargs[f"c:s:{i}"] = "srt"
        if default:
            kwargs[f"disposition:s:{i}"] = "0"
    flags = [f for f, on in (("default", default), ("forced", forced)) if on]
    kwargs[f"disposition:s:{n}"] = "+".join(flags) if flags else "0"
    args = ffmpeg.output(*streams, ffmpeg_path(out), **kwargs).overwrite_output().compile()
    # Two values for one option: ffmpeg-python cannot express that, so splice them in
    # just before the output path.
    at = args.index(ffmpeg_path(out))
    args[at:at] = [
        f"-metadata:s:s:{n}",
        f"language={languages.to_639_2(language)}",
        f"-metadata:s:s:{n}",
        f"title={title}",
    ]
    run_ffmpeg(args, _float((info.get("format") or {}).get("duration")), progress, log)
    result = probe(out)
    n_sub = sum(1 for s in result["streams"] if s.get("codec_type") == "subtitle")
    if len(result["streams"]) != len(kept) + 1 or n_sub != n + 1:
        raise StageError(
            f"{out}: muxing produced {len(result['streams'])} streams, expected {len(kept) + 1}"
        )
    return {
        "streams_copied": len(kept),
        "subtitle_track": n,
        "dropped": [s.get("index") for s in info["streams"] if s.get("codec_type") not in _KEPT],
    }
