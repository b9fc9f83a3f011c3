"""Which audio stream demux takes: ranked on real ffmpeg-built multi-track files."""

import logging

import numpy as np
import pytest

from subsmith import demo
from subsmith.core.errors import StageError
from subsmith.media import probe as media
from subsmith.media import tracks
from subsmith.media.audio import read_wav

LOG = logging.getLogger("test")
SECONDS = 1.0


def tone(hz: float, channels: int = 1) -> np.ndarray:
    """A tone that names its track: the extracted audio's spectrum peaks at `hz`."""
    t = np.arange(int(SECONDS * demo.RATE)) / demo.RATE
    mono = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return mono if channels == 1 else np.repeat(mono[:, None], channels, axis=1)


def movie(path, *tracks_):
    """An audio-only movie (the picture plays no part in the choice): fast to build."""
    return demo.make_movie(path, list(tracks_), video=False)


def chosen(path, language=None, **kwargs) -> tracks.Choice:
    return tracks.choose(media.audio_streams(media.probe(path)), language, **kwargs)


def peak_hz(wav) -> int:
    audio = read_wav(wav)
    return int(np.argmax(np.abs(np.fft.rfft(audio[: demo.RATE]))))


COMMENTARY_FIRST = {
    # (commentary flags, movie flags): how real files flag them.
    "no default flags": ({}, {}),
    "both default (mkvmerge)": ({"default": True}, {"default": True}),
    "commentary default": ({"default": True}, {}),
}


@pytest.mark.parametrize("case", COMMENTARY_FIRST)
def test_a_commentary_listed_first_is_never_taken(tmp_path, case):
    c_flags, m_flags = COMMENTARY_FIRST[case]
    path = movie(
        tmp_path / "m.mkv",
        {"audio": tone(300), "language": "eng", "title": "Director's Commentary", **c_flags},
        {"audio": tone(1000), "language": "eng", "title": "English", **m_flags},
    )
    for language in (None, "en"):
        choice = chosen(path, language)
        assert choice.index == 1, (case, language, choice.line())
        assert "skipped #0: commentary" in choice.line()


def test_the_comment_disposition_alone_marks_a_commentary(tmp_path):
    """No telling title, only the flag (as MakeMKV and ffmpeg write it)."""
    path = movie(
        tmp_path / "m.mkv",
        {"audio": tone(300), "language": "eng", "disposition": "comment", "default": True},
        {"audio": tone(1000), "language": "eng", "default": True},
        {"audio": tone(500), "language": "eng", "disposition": "visual_impaired"},
    )
    choice = chosen(path, "en")
    assert choice.index == 1
    assert choice.skipped == ["#0: commentary", "#2: audio description"]


@pytest.mark.parametrize(
    "title", ["Commentary by the cast", "AD", "English (Audio Description)", "Karaoke"]
)
def test_extras_are_known_by_their_title(title):
    stream = {"index": 3, "tags": {"title": title}, "disposition": {}}
    assert tracks.extra_kind(stream)
    assert tracks.extra_kind({"index": 3, "tags": {"title": "English 5.1 DTS-HD MA"}}) is None
    assert tracks.extra_kind({"index": 3, "tags": {"title": "Director's Cut"}}) is None


def test_german_dub_first_and_default_english_is_taken(tmp_path):
    path = movie(
        tmp_path / "dub first.mkv",
        {"audio": tone(300, 6), "layout": "5.1", "language": "ger", "default": True},
        {"audio": tone(1000, 2), "language": "eng"},
    )
    facts = media.demux(path, tmp_path / "a.wav", "en", LOG)
    assert facts["audio_stream"]["index"] == 1
    assert facts["audio_stream"]["choice"] == "#1 eng stereo (eng; skipped #0: ger)"
    assert abs(peak_hz(tmp_path / "a.wav") - 1000) < 5
    # With no language asked for, the default (German) one is the movie's mix.
    assert chosen(path).index == 0


def test_default_then_original_language_then_channels(tmp_path):
    path = movie(
        tmp_path / "m.mkv",
        {"audio": tone(300), "language": "fre"},
        {"audio": tone(400, 2), "language": "ger"},
        {"audio": tone(500, 6), "layout": "5.1", "language": "ger"},
        {"audio": tone(600), "language": "ita", "default": True},
    )
    assert chosen(path).line() == "#3 ita mono (default)"
    assert (
        chosen(path, "de").line() == "#2 ger 5.1 (ger, most channels (6); skipped #0: fre, #3: ita)"
    )
    # The default flag outranks the original language; without it, the original wins.
    assert chosen(path, original_language="fr").index == 3
    no_default = movie(
        tmp_path / "n.mkv",
        {"audio": tone(300), "language": "fre"},
        {"audio": tone(500, 6), "layout": "5.1", "language": "ger"},
    )
    assert chosen(no_default, original_language="fr").index == 0
    assert chosen(no_default).index == 1  # then the most channels


def test_no_track_in_the_language_is_one_clear_line(tmp_path):
    path = movie(
        tmp_path / "m.mkv",
        {"audio": tone(300), "language": "fre", "default": True},
        {"audio": tone(400), "language": "ger"},
    )
    with pytest.raises(StageError) as err:
        media.demux(path, tmp_path / "a.wav", "en", LOG)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    assert "fre, ger" in message and "demux.audio_language" in message
    assert not (tmp_path / "a.wav").exists()
    # An English commentary is no English track: the message says it was skipped.
    only_commentary = movie(
        tmp_path / "c.mkv",
        {"audio": tone(300), "language": "eng", "title": "Commentary"},
        {"audio": tone(400), "language": "ger", "default": True},
    )
    with pytest.raises(StageError, match=r"has: ger; skipped #0: commentary\); set"):
        chosen(only_commentary, "en")
    # Untagged streams may be in any language: they are taken, and the reason says so.
    untagged = movie(tmp_path / "u.mkv", {"audio": tone(300)})
    assert "untagged" in chosen(untagged, "en").line()


def test_audio_stream_forces_even_a_commentary(tmp_path):
    path = movie(
        tmp_path / "m.mkv",
        {"audio": tone(300), "language": "eng", "title": "Commentary"},
        {"audio": tone(1000), "language": "eng", "default": True},
    )
    facts = media.demux(path, tmp_path / "a.wav", "en", LOG, audio_stream=0)
    assert facts["audio_stream"]["choice"] == "#0 eng mono 'Commentary' (demux.audio_stream: 0)"
    assert abs(peak_hz(tmp_path / "a.wav") - 300) < 5
    with pytest.raises(StageError, match=r"audio streams are #0, #1; set demux.audio_stream"):
        media.demux(path, tmp_path / "a.wav", "en", LOG, audio_stream=7)


def test_the_track_language_follows_the_spoken_language_unless_set():
    section = {"audio_language": None, "audio_stream": None, "downmix": "auto"}
    opts = media.DemuxOptions.from_config(section)
    assert opts.track_language("de") == "de"
    assert opts.track_language("auto") is None  # any language
    dub = media.DemuxOptions.from_config({**section, "audio_language": "eng"})
    assert dub.track_language("auto") == "eng" and dub.track_language("de") == "eng"


def test_original_language_is_read_only_when_the_tmdb_stage_wrote_it(tmp_path):
    meta = tmp_path / "tmdb_data.json"
    assert media.original_language(meta) is None  # not there (yet): no tie-break
    meta.write_text('{"status": "success", "original_language": "fr"}', encoding="utf-8")
    assert media.original_language(meta) == "fr"
    meta.write_text('{"status": "skipped", "reason": "no API key"}', encoding="utf-8")
    assert media.original_language(meta) is None
    meta.write_text("{half a file", encoding="utf-8")
    assert media.original_language(meta) is None
