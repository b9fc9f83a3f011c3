"""ffmpeg/ffprobe work: probe a movie, extract its speech audio, mux subtitles in.

Commands are argument lists (built by ffmpeg-python, or by hand for mux, whose
per-stream options ffmpeg-python cannot order) run without a shell, and
every path is passed as `file:<absolute path>`, so names with spaces, quotes,
`$()`, a leading dash or a colon reach ffmpeg untouched and are never options or
protocols.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
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
    # A full disk is the cause even when ffmpeg's last words are "Conversion failed!",
    # and a failure even when ffmpeg exits 0: a trailer it could not write leaves a
    # truncated file that still probes as whole.
    full = [ln.strip() for ln in stderr.splitlines() if "No space left on device" in ln]
    if code != 0 or full:
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
# (e.g. an MP4 timecode or chapter-text track) have no place in MKV and are left out.
_KEPT = ("video", "audio", "subtitle", "attachment")
# Subtitle codecs that must become SRT text to live in Matroska.
_TO_SRT = {"mov_text"}
# Containers whose packets can come without timestamps: AVI (B-frames: packed or
# not, a packet has no pts of its own) and MPEG program streams (DVD .vob, .mpg: only
# some packets carry one). Matroska refuses such a packet ("Can't write packet with
# unknown timestamp"), so ffmpeg must generate them while reading.
_NO_TIMESTAMPS = {"avi", "mpeg", "vob", "mpegvideo", "m4v", "h264", "hevc", "mpegps"}
# Stream flags Matroska stores (FlagDefault, FlagForced, FlagHearingImpaired, ...),
# under ffmpeg's names; every original stream keeps those it has.
DISPOSITIONS = (
    "default",
    "forced",
    "hearing_impaired",
    "visual_impaired",
    "original",
    "comment",
    "descriptions",
)
# Cover art (an MP4 `covr` picture, an MKV cover attachment) is an image that players
# show as the movie's picture. Matroska keeps it as an attachment with an image MIME
# type, which ffmpeg reads back as a video stream flagged attached_pic.
_PICTURE_TYPES = {
    "png": ("image/png", "png"),
    "mjpeg": ("image/jpeg", "jpg"),
    "bmp": ("image/bmp", "bmp"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
}


def needs_genpts(info: dict[str, Any]) -> bool:
    """True when the container may hand ffmpeg packets without timestamps."""
    names = ((info.get("format") or {}).get("format_name") or "").split(",")
    return any(n in _NO_TIMESTAMPS for n in names)


def dispositions(stream: dict[str, Any]) -> list[str]:
    """The Matroska-storable flags a probed stream has set, in a fixed order."""
    disp = stream.get("disposition") or {}
    return [d for d in DISPOSITIONS if disp.get(d)]


def is_cover(stream: dict[str, Any]) -> bool:
    return bool((stream.get("disposition") or {}).get("attached_pic"))


def _extract_cover(src: str | os.PathLike[str], stream: dict[str, Any], folder: str) -> str:
    """Write one attached picture's bytes (its single packet, as stored) to a file."""
    codec = stream.get("codec_name") or ""
    ext = _PICTURE_TYPES.get(codec, ("", "bin"))[1]
    path = os.path.join(folder, f"cover-{stream['index']}.{ext}")
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", ffmpeg_path(src)]
    cmd += ["-map", f"0:{stream['index']}", "-c", "copy", "-frames:v", "1", "-update", "1"]
    cmd += ["-f", "image2", ffmpeg_path(path)]
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        raise StageError(
            f"{src}: cannot copy the cover picture (stream #{stream['index']}): "
            f"{_last_line(done.stderr) or 'ffmpeg failed'}"
        )
    return path


def mux_command(
    src: str | os.PathLike[str],
    srt: str | os.PathLike[str] | None,
    out: str | os.PathLike[str],
    info: dict[str, Any],
    covers: dict[int, str],
    *,
    language: str,
    title: str,
    default: bool,
    forced: bool,
) -> tuple[list[str], int | None]:
    """The ffmpeg argument list for mux, and the output index of the new track.

    Built by hand: every output stream gets its own `-disposition:N` (ffmpeg would
    otherwise reset flags it thinks it knows better), which ffmpeg-python cannot
    order. `covers` maps an attached picture's input index to its extracted file.
    With `srt` None (a movie without speech) there is no new track, and no index.
    """
    kept = [s for s in info["streams"] if s.get("codec_type") in _KEPT and not is_cover(s)]
    # Matroska lists tracks before attachments, so the output is in that order: the
    # original tracks, the new track, the attachments, the cover pictures.
    tracks = [s for s in kept if s.get("codec_type") != "attachment"]
    attachments = [s for s in kept if s.get("codec_type") == "attachment"]
    new = len(tracks)
    cmd = ["ffmpeg"]
    if needs_genpts(info):
        cmd += ["-fflags", "+genpts"]
    cmd += ["-i", ffmpeg_path(src)]
    if srt is not None:
        cmd += ["-f", "srt", "-i", ffmpeg_path(srt)]
    for s in tracks:
        cmd += ["-map", f"0:{s['index']}"]
    if srt is not None:
        cmd += ["-map", "1:0"]
    for s in attachments:
        cmd += ["-map", f"0:{s['index']}"]
    cmd += ["-map_metadata", "0", "-map_chapters", "0", "-c", "copy"]
    for i, s in enumerate(tracks):
        flags = dispositions(s)
        if s.get("codec_type") == "subtitle":
            if s.get("codec_name") in _TO_SRT:
                cmd += [f"-c:{i}", "srt"]
            if default and srt is not None:  # the new track is the default: no other is
                flags = [f for f in flags if f != "default"]
        cmd += [f"-disposition:{i}", "+".join(flags) or "0"]
    if srt is not None:
        flags = [f for f, on in (("default", default), ("forced", forced)) if on]
        cmd += [f"-c:{new}", "srt", f"-disposition:{new}", "+".join(flags) or "0"]
        cmd += [f"-metadata:s:{new}", f"language={languages.to_639_2(language)}"]
        cmd += [f"-metadata:s:{new}", f"title={title}"]
    for k, (index, path) in enumerate(sorted(covers.items())):
        stream = next(s for s in info["streams"] if s["index"] == index)
        tags = stream.get("tags") or {}
        mime, ext = _PICTURE_TYPES.get(stream.get("codec_name") or "", ("image/png", "png"))
        cmd += ["-attach", ffmpeg_path(path)]
        k += len(attachments)  # -metadata:s:t counts the mapped attachments too
        cmd += [f"-metadata:s:t:{k}", f"mimetype={tags.get('mimetype') or mime}"]
        cmd += [f"-metadata:s:t:{k}", f"filename={tags.get('filename') or f'cover.{ext}'}"]
    cmd += ["-f", "matroska", "-y", ffmpeg_path(out)]
    return cmd, (new if srt is not None else None)


def mux(
    src: str | os.PathLike[str],
    srt: str | os.PathLike[str] | None,
    out: str | os.PathLike[str],
    *,
    language: str,
    title: str,
    default: bool,
    forced: bool,
    log: logging.Logger,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Copy every stream of `src` (no re-encode) and add `srt` as a new subtitle track
    (srt None: no new track, for a movie without speech).

    Every original stream keeps its flags (a forced track stays forced), attachments
    and chapters are kept, cover art stays cover art. A failed mux leaves no partial
    final.mkv behind.
    """
    info = probe(src)
    kept = [s for s in info["streams"] if s.get("codec_type") in _KEPT]
    folder = None
    if any(map(is_cover, kept)):  # the cover pictures wait in a temp folder beside out
        folder = tempfile.mkdtemp(prefix=".mux-", dir=os.path.dirname(os.path.abspath(out)))
    try:
        covers = {s["index"]: _extract_cover(src, s, folder) for s in kept if is_cover(s)}
        args, new = mux_command(
            src,
            srt,
            out,
            info,
            covers,
            language=language,
            title=title,
            default=default,
            forced=forced,
        )
        run_ffmpeg(args, _float((info.get("format") or {}).get("duration")), progress, log)
        result = probe(out)
    except (StageError, OSError) as exc:
        _remove(out)
        if "no space left on device" in str(exc).lower():
            raise StageError(
                f"{out}: no space left on device while muxing {src}; "
                "free some space or set output_dir to a bigger disk"
            ) from None
        raise
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    made = result["streams"]
    added = 0 if srt is None else 1
    if len(made) != len(kept) + added or sum(map(is_cover, made)) != len(covers):
        _remove(out)
        raise StageError(
            f"{out}: muxing produced {len(made)} streams, expected {len(kept) + added}"
        )
    return {
        "streams_copied": len(kept),
        "subtitle_track": new,
        "covers": len(covers),
        "genpts": needs_genpts(info),
        "dropped": [s.get("index") for s in info["streams"] if s.get("codec_type") not in _KEPT],
    }


def _remove(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
