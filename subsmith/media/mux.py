"""The mux stage's ffmpeg work: final.mkv is every stream of the movie, copied, plus
the new subtitle track (and, when sound tags are on, the SDH track beside it: flagged
hearing_impaired, titled by `mux.sdh_title`, "English SDH").

Split from media.py (demux and the shared ffprobe/ffmpeg helpers) to keep each module
readable (mux imports media, never the other way).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core import languages
from ..core.diskspace import need_space
from ..core.errors import StageError
from ..core.settings import options
from .ffrun import FfmpegError, Progress, run_ffmpeg
from .probe import ffmpeg_path, last_line, probe, to_float


@dataclass(frozen=True)
class MuxOptions:
    """The `mux:` config section: how the new subtitle track is labelled."""

    title: str  # a template: {language_name} ("English") and {language} ("en")
    default: bool  # players show the track without being asked
    forced: bool
    sdh_title: str  # the SDH track's title, the same template ("{language_name} SDH")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> MuxOptions:
        return options(cls, cfg, "mux")

    def track_title(self, language: str, sdh: bool = False) -> str:
        template = self.sdh_title if sdh else self.title
        return template.format(language_name=languages.name(language), language=language)


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
            f"{last_line(done.stderr) or 'ffmpeg failed'}"
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
    sdh: str | os.PathLike[str] | None = None,
    sdh_title: str = "SDH",
) -> tuple[list[str], int | None]:
    """The ffmpeg argument list for mux, and the output index of the first new track.

    Built by hand: every output stream gets its own `-disposition:N` (ffmpeg would
    otherwise reset flags it thinks it knows better), which ffmpeg-python cannot
    order. `covers` maps an attached picture's input index to its extracted file.
    With `srt` None (a movie without speech) there is no new track, and no index.
    `sdh` (an SDH subtitle) becomes one more track right after it, flagged
    hearing_impaired (never default: the viewer picks it), titled `sdh_title`.
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
    added = [p for p in (srt, sdh) if p is not None]
    for path in added:
        cmd += ["-f", "srt", "-i", ffmpeg_path(path)]
    for s in tracks:
        cmd += ["-map", f"0:{s['index']}"]
    for k in range(len(added)):
        cmd += ["-map", f"{k + 1}:0"]
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
    if sdh is not None:
        at = new + len(added) - 1
        cmd += [f"-c:{at}", "srt", f"-disposition:{at}", "hearing_impaired"]
        cmd += [f"-metadata:s:{at}", f"language={languages.to_639_2(language)}"]
        cmd += [f"-metadata:s:{at}", f"title={sdh_title}"]
    for k, (index, path) in enumerate(sorted(covers.items())):
        stream = next(s for s in info["streams"] if s["index"] == index)
        tags = stream.get("tags") or {}
        mime, ext = _PICTURE_TYPES.get(stream.get("codec_name") or "", ("image/png", "png"))
        cmd += ["-attach", ffmpeg_path(path)]
        k += len(attachments)  # -metadata:s:t counts the mapped attachments too
        cmd += [f"-metadata:s:t:{k}", f"mimetype={tags.get('mimetype') or mime}"]
        cmd += [f"-metadata:s:t:{k}", f"filename={tags.get('filename') or f'cover.{ext}'}"]
    cmd += ["-f", "matroska", "-y", ffmpeg_path(out)]
    return cmd, (new if added else None)


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
    sdh: str | os.PathLike[str] | None = None,
    sdh_title: str = "SDH",
) -> dict[str, Any]:
    """Copy every stream of `src` (no re-encode) and add `srt` as a new subtitle track
    (srt None: no new track, for a movie without speech), and `sdh` as the SDH track.

    Every original stream keeps its flags (a forced track stays forced), attachments
    and chapters are kept, cover art stays cover art. A failed mux leaves no partial
    final.mkv behind.
    """
    info = probe(src)
    need_space(
        os.path.dirname(os.path.abspath(out)),
        os.path.getsize(src),
        f"{os.path.basename(out)}, a copy of {os.path.basename(src)}",
    )
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
            sdh=sdh,
            sdh_title=sdh_title,
        )
        ran = run_ffmpeg(args, to_float((info.get("format") or {}).get("duration")), progress, log)
        result = probe(out)
    except (StageError, OSError) as exc:
        _remove(out)
        if "no space left on device" in str(exc).lower():
            raise StageError(
                f"{out}: no space left on device while muxing {src}; "
                "free some space or set output_dir to a bigger disk"
            ) from None
        if isinstance(exc, FfmpegError):  # a damaged movie: packets ffmpeg cannot copy
            subs = f" (the subtitles are in {srt})" if srt is not None else ""
            raise StageError(
                f"{src}: {exc} while copying it into {out}; the movie may be damaged, "
                f"re-download or re-rip it{subs}"
            ) from None
        raise
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    made = result["streams"]
    added = (srt is not None) + (sdh is not None)
    if len(made) != len(kept) + added or sum(map(is_cover, made)) != len(covers):
        _remove(out)
        raise StageError(
            f"{out}: muxing produced {len(made)} streams, expected {len(kept) + added}"
        )
    return {
        "streams_copied": len(kept),
        "subtitle_track": new if srt is not None else None,
        "sdh_track": None if sdh is None or new is None else new + (srt is not None),
        "covers": len(covers),
        "genpts": needs_genpts(info),
        "read_errors": ran.errors,  # a damaged movie that still copied
        "dropped": [s.get("index") for s in info["streams"] if s.get("codec_type") not in _KEPT],
    }


def _remove(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
