"""mux on every container a library holds, each input made by the real ffmpeg.

For each input the test checks final.mkv with ffprobe: every original stream is there
with the same codec, the same flags (forced, hearing_impaired, attached_pic, ...) and
the same packets (hashed), chapters and attachments are kept, and the new track is
there once with its language, title and flags. Inputs are one second of ffmpeg's test
picture and a tone, so the whole matrix takes seconds.
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest

from conftest import subtitle_text
from subsmith.media import mux as mux_module
from subsmith.media import probe as media

LOG = logging.getLogger("test")
NEW_SRT = "1\n00:00:00,200 --> 00:00:00,900\nGood morning, Captain.\n\n"
OLD_SRT = "1\n00:00:00,100 --> 00:00:00,800\nGuten Morgen.\n\n"
CHAPTERS = (
    ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=One\n"
    "[CHAPTER]\nTIMEBASE=1/1000\nSTART=500\nEND=1000\ntitle=Two\n"
)
PICTURE = ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=25:duration=1"]
TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=48000"]

# name -> ffmpeg arguments after the picture (input 0) and the tone (input 1). The
# extra inputs named in each case: s.srt (old subtitles), ch.txt (chapters),
# font.ttf, cover.png.
CASES: dict[str, list[str]] = {
    # MKV with a forced and a hearing-impaired subtitle, a font and chapters.
    "movie.mkv": [
        *("-i", "s.srt", "-i", "s.srt", "-i", "ch.txt"),
        *("-map", "0", "-map", "1", "-map", "2", "-map", "3", "-map_chapters", "4"),
        *("-c:v", "libx264", "-bf", "2", "-c:a", "aac", "-c:s", "srt"),
        *("-disposition:s:0", "forced", "-disposition:s:1", "hearing_impaired"),
        *("-metadata:s:s:0", "language=ger", "-attach", "font.ttf"),
        *("-metadata:s:t", "mimetype=font/ttf", "-disposition:v:0", "default"),
    ],
    # MP4 with a forced mov_text track and chapters.
    "movie.mp4": [
        *("-i", "s.srt", "-i", "ch.txt", "-map", "0", "-map", "1", "-map", "2"),
        *("-map_chapters", "3", "-c:v", "libx264", "-bf", "2", "-c:a", "aac"),
        *("-c:s", "mov_text", "-disposition:s:0", "forced"),
    ],
    # M4V with cover art (an attached picture).
    "movie.m4v": [
        *("-i", "cover.png", "-map", "0", "-map", "1", "-map", "2"),
        *("-c:v:0", "libx264", "-c:v:1", "png", "-disposition:v:1", "attached_pic"),
        *("-c:a", "aac"),
    ],
    # AVI: XviD (MPEG-4 ASP) and H.264, both with B-frames.
    "xvid.avi": ["-c:v", "libxvid", "-bf", "2", "-vtag", "XVID", "-c:a", "libmp3lame"],
    "h264.avi": ["-c:v", "libx264", "-bf", "2", "-c:a", "libmp3lame"],
    # MPEG-2 program streams with B-frames: .mpg and a DVD .vob.
    "movie.mpg": ["-c:v", "mpeg2video", "-bf", "2", "-c:a", "mp2", "-f", "mpeg"],
    "VTS_01_1.vob": ["-c:v", "mpeg2video", "-bf", "2", "-c:a", "ac3", "-f", "vob"],
    "movie.ts": ["-c:v", "libx264", "-bf", "2", "-c:a", "aac"],
    "movie.m2ts": [
        *("-c:v", "libx264", "-bf", "2", "-c:a", "ac3"),
        *("-f", "mpegts", "-mpegts_m2ts_mode", "1"),
    ],
    "movie.webm": ["-c:v", "libvpx", "-c:a", "libopus"],
    "movie.mov": ["-c:v", "libx264", "-c:a", "aac"],
    "movie.flv": ["-c:v", "flv", "-c:a", "libmp3lame", "-ar", "44100"],
    "movie.wmv": ["-c:v", "wmv2", "-c:a", "wmav2"],
    "movie.ogv": ["-c:v", "libtheora", "-c:a", "libvorbis"],
}


def ffmpeg(*args: str, cwd: Path | None = None, check: bool = True) -> bytes:
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, check=check).stdout


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("matrix")
    (d / "s.srt").write_text(OLD_SRT)
    (d / "ch.txt").write_text(CHAPTERS)
    (d / "font.ttf").write_bytes(bytes(range(256)) * 8)
    (d / "new.srt").write_text(NEW_SRT)
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", "cover.png", cwd=d)
    for name, args in CASES.items():
        ffmpeg(*PICTURE, *TONE, *args, name, cwd=d)
    return d


def probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_chapters", "-show_format"]
        + ["-of", "json", f"file:{path}"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return json.loads(out)


def packet_hashes(path: Path, indexes: list[int], genpts: bool = False) -> list[str]:
    """MD5 of each stream's packets, as ffmpeg reads them (no decoding).

    A source is first copied into Matroska (a temp file: the AAC of MPEG-TS needs a
    seekable output) so its packets are in the form Matroska stores them (no ADTS
    headers, H.264 length-prefixed); the hashes then compare packet for packet.
    """
    if path.suffix != ".mkv":
        norm = path.with_name(path.name + ".norm.mkv")
        maps = [a for i in indexes for a in ("-map", f"0:{i}")]
        ffmpeg(
            *(["-fflags", "+genpts"] if genpts else []),
            *("-i", f"file:{path}", *maps, "-c", "copy", "-f", "matroska", f"file:{norm}"),
        )
        path, indexes = norm, list(range(len(indexes)))
    maps = [a for i in indexes for a in ("-map", f"0:{i}")]
    text = ffmpeg("-i", f"file:{path}", *maps, "-c", "copy", "-f", "streamhash", "-").decode()
    return [line.split(",", 2)[2] for line in text.split()]


def flags(stream: dict) -> set[str]:
    disp = stream.get("disposition") or {}
    return {d for d in (*mux_module.DISPOSITIONS, "attached_pic") if disp.get(d)}


@pytest.mark.parametrize("name", list(CASES))
def test_mux_keeps_every_stream_of_every_container(inputs, tmp_path, name):
    src = inputs / name
    out = tmp_path / "final.mkv"
    result = mux_module.mux(
        src,
        inputs / "new.srt",
        out,
        language="en",
        title="English (subsmith)",
        default=True,
        forced=False,
        log=LOG,
    )
    before, after = probe(src), probe(out)
    kept = [s for s in before["streams"] if s["codec_type"] != "data"]
    # Matroska's order: tracks, the new track, attachments, cover pictures.
    plain = [s for s in kept if not s["disposition"].get("attached_pic")]
    tracks = [s for s in plain if s["codec_type"] != "attachment"]
    extra = [s for s in plain if s["codec_type"] == "attachment"]
    covers = [s for s in kept if s["disposition"].get("attached_pic")]
    made = after["streams"]
    assert len(made) == len(kept) + 1, name
    new = made[len(tracks)]
    assert result["subtitle_track"] == new["index"]
    for old, copy in zip(
        tracks + extra + covers, made[: len(tracks)] + made[len(tracks) + 1 :], strict=True
    ):
        want_codec = "subrip" if old.get("codec_name") == "mov_text" else old.get("codec_name")
        assert copy.get("codec_name") == want_codec, (name, old["index"])
        want = flags(old) - ({"default"} if old["codec_type"] == "subtitle" else set())
        assert flags(copy) == want, (name, old["index"])
    # Attachments are no packets: the font's bytes are compared below.
    hashed = [s for s in tracks if s.get("codec_name") != "mov_text"]
    genpts = mux_module.needs_genpts(before)
    assert packet_hashes(src, [s["index"] for s in hashed], genpts) == packet_hashes(
        out, [tracks.index(s) for s in hashed]
    ), name
    for old, copy in zip(covers, made[len(tracks) + 1 + len(extra) :], strict=True):
        assert packet_hashes(src, [old["index"]]) == packet_hashes(out, [copy["index"]])
    assert new["codec_name"] == "subrip" and flags(new) == {"default"}
    assert new["tags"]["language"] == "eng" and new["tags"]["title"] == "English (subsmith)"
    assert "Good morning, Captain." in subtitle_text(out, new["index"])
    assert [c["tags"]["title"] for c in after["chapters"]] == [
        c["tags"]["title"] for c in before["chapters"]
    ]
    if name == "movie.mkv":
        font = [s for s in made if s["codec_type"] == "attachment"]
        assert len(font) == 1 and font[0]["tags"]["filename"] == "font.ttf"
        ffmpeg("-dump_attachment:t", "", "-i", str(out), cwd=tmp_path, check=False)
        assert (tmp_path / "font.ttf").read_bytes() == (inputs / "font.ttf").read_bytes()
        assert len(after["chapters"]) == 2
    if name == "movie.m4v":
        assert len(covers) == 1 and made[-1]["tags"]["mimetype"] == "image/png"


def test_old_default_subtitle_kept_when_the_new_track_is_not_default(inputs, tmp_path):
    out = tmp_path / "final.mkv"
    mux_module.mux(
        inputs / "movie.mp4",
        inputs / "new.srt",
        out,
        language="de",
        title="Deutsch",
        default=False,
        forced=True,
        log=LOG,
    )
    subs = [s for s in probe(out)["streams"] if s["codec_type"] == "subtitle"]
    assert [flags(s) for s in subs] == [{"default", "forced"}, {"forced"}]
    assert subs[1]["tags"]["language"] == "ger"


def test_a_failed_mux_leaves_no_partial_file(inputs, tmp_path):
    out = tmp_path / "final.mkv"
    bad = tmp_path / "missing.srt"
    with pytest.raises(media.StageError, match="ffmpeg failed"):
        mux_module.mux(
            inputs / "movie.mkv",
            bad,
            out,
            language="en",
            title="t",
            default=True,
            forced=False,
            log=LOG,
        )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # nor the cover/temp folder


def test_the_sdh_track_sits_after_the_new_track_flagged_hearing_impaired(inputs, tmp_path):
    """With an SDH subtitle: one more track, right after the new one, hearing_impaired
    and never default, titled as asked; attachments and chapters stay."""
    out = tmp_path / "final.mkv"
    (tmp_path / "sdh.srt").write_text(NEW_SRT.replace("\n\n", "\n[phone ringing]\n\n", 1))
    result = mux_module.mux(
        inputs / "movie.mkv",
        inputs / "new.srt",
        out,
        language="en",
        title="English (subsmith)",
        default=True,
        forced=False,
        log=LOG,
        sdh=tmp_path / "sdh.srt",
        sdh_title="English SDH",
    )
    streams = probe(out)["streams"]
    new, sdh = streams[result["subtitle_track"]], streams[result["sdh_track"]]
    assert result["sdh_track"] == result["subtitle_track"] + 1
    assert (new["tags"]["title"], flags(new)) == ("English (subsmith)", {"default"})
    assert (sdh["tags"]["title"], sdh["tags"]["language"]) == ("English SDH", "eng")
    assert flags(sdh) == {"hearing_impaired"}
    assert len(streams) == len(probe(inputs / "movie.mkv")["streams"]) + 2
