"""ffmpeg/ffprobe work: probe a movie, extract its speech audio (mux is in mux.py,
ffmpeg's runner in ffrun.py).

Commands are argument lists (built by ffmpeg-python, or by hand for mux, whose
per-stream options ffmpeg-python cannot order) run without a shell, and
every path is passed as `file:<absolute path>`, so names with spaces, quotes,
`$()`, a leading dash or a colon reach ffmpeg untouched and are never options or
protocols.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from ..core.diskspace import need_space, wav_bytes
from ..core.errors import StageError
from ..core.settings import options
from . import tracks
from .audio import SAMPLE_RATE, wav_duration, wav_rms
from .ffrun import TOO_MANY_ERRORS, FfmpegError, Progress, run_ffmpeg


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
        reason = last_line(exc.stderr) or "unreadable"
        raise StageError(
            f"{path}: ffprobe cannot read this file as a movie ({reason}); "
            "check that it is a complete video file, or re-download/re-rip it"
        ) from None
    if not info.get("streams"):
        raise StageError(
            f"{path}: no audio or video streams found; if it is a movie, it is damaged: "
            "re-download or re-rip it"
        )
    return info


def last_line(stderr: bytes | str | None) -> str:
    if not stderr:
        return ""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def audio_streams(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]


def to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def first_audio_time(src: str | os.PathLike[str], stream: dict[str, Any]) -> float | None:
    """When the first decoded sample of `stream` plays, in the container's timestamps.

    Measured by decoding one frame: the stream's declared start_time misses an AVI
    stream's start (dwStart) and the samples a decoder drops (AAC priming in MP4)."""
    try:
        out = ffmpeg.probe(
            ffmpeg_path(src),
            select_streams=str(stream["index"]),
            show_frames=None,
            read_intervals="%+#1",
            show_entries="frame=best_effort_timestamp_time,pts_time",
        )
    except ffmpeg.Error:
        return None
    for frame in out.get("frames", []):
        t = to_float(frame.get("best_effort_timestamp_time"))
        if t is None:
            t = to_float(frame.get("pts_time"))
        if t is not None:
            return t
    return None


def movie_clock_offset(
    info: dict[str, Any], stream: dict[str, Any], first: float | None = None
) -> float:
    """Seconds between the movie's time zero and the first sample of `stream`.

    Players show time relative to the container's start. When the audio starts later
    than that (common in web releases and MPEG-TS), audio.wav is padded by this much so
    that its second 0 is the movie's second 0. `first` is the measured time of the first
    decoded sample (first_audio_time); without it, the stream's declared start."""
    start = to_float((info.get("format") or {}).get("start_time"))
    a = first if first is not None else to_float(stream.get("start_time"))
    if start is None or a is None:
        return 0.0
    return max(0.0, a - start)


# Layouts whose centre channel (FC) carries a film's dialogue, by ffmpeg's names.
_WITH_CENTRE = {"3.0", "3.1", "4.0", "4.1", "5.0", "5.1", "6.0", "6.1", "7.0", "7.1"}
DOWNMIXES = ("auto", "center", "all")
# The dialogue of a surround mix: the centre channel alone. bench/surround.py measured it
# against ffmpeg's full downmix and a centre-weighted one on a loud-music 5.1 mix (README).
CENTRE = "mono|c0=FC"
# Below this RMS the centre channel holds no dialogue (an upmix with an empty centre).
SILENT_RMS = 10 ** (-60 / 20)
# A damaged movie completes (with a note) while at least half of its audio frames
# decode; past that, ffmpeg gives up (exit code 69) and demux fails in one line. Its
# own default is 2/3 failed: a movie with most of its dialogue lost is not subtitled.
MAX_ERROR_RATE = 0.5


def has_centre(stream: dict[str, Any]) -> bool:
    return tracks.layout_of(stream) in _WITH_CENTRE


def extract_audio(
    src: str | os.PathLike[str],
    wav: str | os.PathLike[str],
    info: dict[str, Any],
    stream: dict[str, Any],
    log: logging.Logger,
    progress: Progress | None = None,
    *,
    offset: float = 0.0,
    pan: str | None = None,
) -> int:
    """Decode one audio stream to 16 kHz mono PCM on the movie's clock; returns how many
    errors ffmpeg reported (a damaged file: it decodes around them).

    The stream's own first frame becomes time 0 (`asetpts`), gaps inside it are filled
    with silence (`aresample=async=1`), and `offset` seconds (measured, see
    movie_clock_offset) of silence go before it (`adelay`). The pad does not rely on the
    filter's idea of the start: ffmpeg hands an MPEG-TS or MPEG-PS stream's first
    frame to the filters at time 0. `pan` (a pan filter's argument) picks channels before
    the mono downmix; None is ffmpeg's standard downmix of every channel.
    """
    filters = ["asetpts=PTS-STARTPTS", "aresample=async=1:first_pts=0"]
    if pan:
        filters.append(f"pan={pan}")
    rate = int(to_float(stream.get("sample_rate")) or SAMPLE_RATE)
    pad = round(offset * rate)
    if pad > 0:
        filters.append(f"adelay=delays={pad}S:all=1")
    # The filter chain is written out here (ffmpeg-python would escape the pan's "=");
    # it holds numbers only, never a file name.
    args = [
        "ffmpeg",
        "-i",
        ffmpeg_path(src),
        *("-max_error_rate", str(MAX_ERROR_RATE)),
        "-map",
        f"0:{int(stream['index'])}",
        "-af",
        ",".join(filters),
        *("-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", "-f", "wav", "-y"),
        ffmpeg_path(wav),
    ]
    duration = to_float((info.get("format") or {}).get("duration"))
    try:
        return run_ffmpeg(args, duration, progress, log).errors
    except StageError as exc:
        # A partial wav is of no use, and on a full disk removing it frees the room
        # the job needs to record why it failed.
        try:
            os.unlink(wav)
        except OSError:
            pass
        if not isinstance(exc, FfmpegError):  # the job was stopped (SIGTERM): as it is
            raise
        if "no space left on device" in str(exc).lower():
            raise StageError(
                f"{wav}: no space left on device while extracting the audio of {src}; "
                "free some space or set output_dir to a bigger disk"
            ) from None
        if exc.run.code == TOO_MANY_ERRORS:
            raise StageError(
                f"{src}: audio stream #{stream['index']} is damaged: more than "
                f"{MAX_ERROR_RATE:.0%} of it does not decode ({exc.run.errors} decode errors); "
                "re-download or re-rip the file"
            ) from None
        raise StageError(
            f"{src}: cannot decode audio stream #{stream['index']} "
            f"({stream.get('codec_name') or 'unknown codec'}): {exc}; "
            "re-encode or re-rip the file"
        ) from None


def extract_dialogue(
    src: str | os.PathLike[str],
    wav: str | os.PathLike[str],
    info: dict[str, Any],
    stream: dict[str, Any],
    downmix: str,
    log: logging.Logger,
    progress: Progress | None = None,
    *,
    offset: float = 0.0,
) -> tuple[str, int]:
    """extract_audio with the dialogue taken the way films are mixed; returns how, and
    the errors ffmpeg reported while decoding (see extract_audio).

    downmix "center" takes a surround track's centre channel, "all" every channel,
    "auto" the centre unless it is silent (then every channel). Tracks without a
    centre channel (mono, stereo) are always downmixed whole, as before."""
    if downmix not in DOWNMIXES:
        raise StageError(f"demux.downmix is {downmix!r}; set it to one of {', '.join(DOWNMIXES)}")
    if downmix == "all" or not has_centre(stream):
        errors = extract_audio(src, wav, info, stream, log, progress, offset=offset)
        return ("all channels" if (stream.get("channels") or 1) > 1 else "mono"), errors
    errors = extract_audio(src, wav, info, stream, log, progress, offset=offset, pan=CENTRE)
    if downmix == "center":
        return "centre channel", errors
    rms = wav_rms(wav)
    if rms >= SILENT_RMS:
        return "centre channel", errors
    log.info("the centre channel is silent (RMS %.1g): downmixing every channel", rms)
    errors = extract_audio(src, wav, info, stream, log, progress, offset=offset)
    return "all channels (the centre channel is silent)", errors


@dataclass(frozen=True)
class DemuxOptions:
    """The `demux:` config section: which audio stream, and how a surround mix is folded."""

    audio_language: str | None  # the track's language when it differs from `language`
    audio_stream: int | None  # forces one stream by index
    downmix: str  # auto | center | all (extract_dialogue)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> DemuxOptions:
        return options(cls, cfg, "demux")

    def track_language(self, language: str) -> str | None:
        """The language to rank tracks by: audio_language, else the top-level `language`
        (None, any language, when that is auto)."""
        return self.audio_language or (None if language == "auto" else language)


def original_language(metadata: str | os.PathLike[str] | None) -> str | None:
    """The movie's original language from metadata/tmdb_data.json, when the tmdb stage
    has already written it (demux does not wait for it: it only breaks ties)."""
    if not metadata or not Path(metadata).is_file():
        return None
    import json

    try:
        data = json.loads(Path(metadata).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    lang = data.get("original_language") if isinstance(data, dict) else None
    return lang if isinstance(lang, str) and lang else None


# A movie is "truncated" when its audio ends this much before the container's duration
# (both a fraction and seconds: a few seconds of end credits missing is not worth a
# failure). Measured where the audio ends, not how much of it decoded: holes a damaged
# file leaves inside are filled with silence (aresample=async=1, extract_audio), so a
# damaged movie that still plays to the end is not called truncated.
TRUNCATED_FRACTION = 0.9
TRUNCATED_SECONDS = 5.0
# What ffprobe calls a file whose container header is gone (zeroed): the elementary
# video stream it still finds inside, never a movie's own container.
_BARE_STREAMS = {"m4v", "h264", "hevc", "mpegvideo", "mjpeg", "vc1", "cavsvideo"}
# Less sound than this is no movie's audio (nothing decoded).
MIN_DECODED_SECONDS = 0.5


def check_decoded(
    src: str | os.PathLike[str], decoded: float, declared: float | None, errors: int
) -> None:
    """Fail, in one line naming the file and the fix, when the audio did not decode or
    ends well before the movie does. Decode errors alone are no failure: they are a note."""
    damaged = f" ({_errors(errors)}: the file is damaged)" if errors else ""
    if decoded < MIN_DECODED_SECONDS:
        raise StageError(
            f"{src}: the audio stream decodes to {decoded:.2f} s of sound{damaged}; "
            "the file is too short or its audio is broken, re-download or re-rip it"
        )
    if (
        declared
        and decoded < TRUNCATED_FRACTION * declared
        and declared - decoded > TRUNCATED_SECONDS
    ):
        raise StageError(
            f"{src}: the audio ends at {decoded:.1f} s but the file says it lasts "
            f"{declared:.1f} s{damaged}; the file looks truncated, re-download or re-rip it"
        )


def _errors(n: int) -> str:
    return f"{n} decode error{'s' if n != 1 else ''}"


def decode_note(errors: int) -> str:
    """The manifest note for a damaged movie that decoded (demux, scripts/demux.py)."""
    return (
        f"damaged file: ffmpeg reported {_errors(errors)}; "
        "the audio was decoded around them (lost parts are silence, without subtitles); "
        "re-download or re-rip it for a whole result"
    )


def demux(
    src: str | os.PathLike[str],
    wav: str | os.PathLike[str],
    audio_language: str | None,
    log: logging.Logger,
    progress: Progress | None = None,
    *,
    audio_stream: int | None = None,
    original_language: str | None = None,
    downmix: str = "auto",
) -> dict[str, Any]:
    """Probe `src`, extract its speech audio to `wav`, and return the facts for media.json.

    `audio_language` None means any language; `audio_stream` forces a stream by index."""
    info = probe(src)
    try:
        choice = tracks.choose(
            audio_streams(info),
            audio_language,
            original_language=original_language,
            forced_index=audio_stream,
        )
    except StageError as exc:
        fmt = (info.get("format") or {}).get("format_name") or ""
        if not audio_streams(info) and fmt in _BARE_STREAMS:
            raise StageError(
                f"{src}: {exc}; ffprobe reads the file as a bare {fmt} stream, so its "
                "container header looks damaged: re-download or re-rip it"
            ) from None
        raise StageError(f"{src}: {exc}") from None
    stream = choice.stream
    log.info("audio stream: %s", choice.line())
    offset = movie_clock_offset(info, stream, first_audio_time(src, stream))
    length = to_float((info.get("format") or {}).get("duration"))
    if length:  # unknown for some damaged files: then ffmpeg's own error tells
        need_space(
            os.path.dirname(os.path.abspath(wav)),
            wav_bytes(length + (offset or 0)),
            f"the audio of {Path(src).name} ({length / 60:.0f} min, 16 kHz mono wav)",
        )
    how, errors = extract_dialogue(src, wav, info, stream, downmix, log, progress, offset=offset)
    decoded = wav_duration(wav)
    declared = to_float((info.get("format") or {}).get("duration"))
    check_decoded(src, decoded, declared, errors)
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
                "channels": s.get("channels"),
                "title": tracks.title_of(s) or None,
                "extra": tracks.extra_kind(s) if s.get("codec_type") == "audio" else None,
            }
            for s in info.get("streams", [])
        ],
        "audio_stream": {
            "index": stream["index"],
            "codec": stream.get("codec_name"),
            "language": (stream.get("tags") or {}).get("language"),
            "channels": stream.get("channels"),
            "layout": tracks.layout_of(stream),
            "title": tracks.title_of(stream) or None,
            "sample_rate": stream.get("sample_rate"),
            "choice": choice.line(),
            "downmix": how,
        },
        "movie_clock_offset": round(offset, 3),
        "decode_errors": errors,
        "wav": {"path": str(wav), "sample_rate": SAMPLE_RATE, "duration": round(decoded, 3)},
    }
