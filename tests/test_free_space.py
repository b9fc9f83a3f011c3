"""The free-space check before demux (the wav: ~32 KB per second of movie) and before mux
(final.mkv: about the movie's size): one line naming the folder, what is free, what is
needed and for what, before anything is written."""

from __future__ import annotations

import logging

import pytest
from test_disk_full import small_disk  # noqa: F401 (a fixture)

from subsmith import demo
from subsmith.core import diskspace as preflight
from subsmith.core.errors import StageError
from subsmith.media import mux as mux_module
from subsmith.media import probe as media

LOG = logging.getLogger("test")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    audio, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, tail=0.3)  # ~3.6 s
    path = tmp_path_factory.mktemp("clip") / "Film (2010).mkv"
    return demo.make_movie(path, [{"audio": audio, "language": "eng"}])


def test_the_line_names_the_folder_what_is_free_and_what_is_needed(tmp_path):
    with pytest.raises(StageError) as err:
        preflight.need_space(tmp_path, 3.3e9, "the audio of Film.mkv", free=1_200_000_000)
    assert str(err.value) == (
        f"{tmp_path}: 1.2 GB free, about 3.4 GB needed for the audio of Film.mkv; "
        "free some space or set output_dir to a bigger disk"
    )
    preflight.need_space(tmp_path, 1e9, "x", free=2_000_000_000)  # room: nothing said
    preflight.need_space(tmp_path / "not" / "yet", 1, "x")  # a folder still to be made
    assert preflight.wav_bytes(7200) == 230_400_000  # a 2-hour film: 230 MB
    assert [preflight.size_text(n) for n in (512, 950e6, 1.25e9, 3.4e12)] == [
        "1 KB",
        "950.0 MB",
        "1.2 GB",
        "3.4 TB",
    ]


def test_demux_with_too_little_room_for_the_wav_writes_nothing(tmp_path, clip, monkeypatch):
    monkeypatch.setattr(preflight, "free_bytes", lambda folder: 50_000)
    wav = tmp_path / "audio" / "audio.wav"
    wav.parent.mkdir()
    with pytest.raises(StageError) as err:
        media.demux(clip, wav, "en", LOG)
    line = str(err.value)
    assert line.startswith(f"{wav.parent}: 50 KB free, about 1")  # ~3.6 s * 32 KB/s
    assert "KB needed for the audio of Film (2010).mkv (0 min, 16 kHz mono wav)" in line
    assert line.endswith("; free some space or set output_dir to a bigger disk")
    assert list(wav.parent.iterdir()) == []


def test_mux_with_too_little_room_for_the_copy_writes_nothing(tmp_path, clip, monkeypatch):
    monkeypatch.setattr(preflight, "free_bytes", lambda folder: 1000)
    out = tmp_path / "final.mkv"
    with pytest.raises(StageError) as err:
        mux_module.mux(clip, None, out, language="en", title="t", default=True, forced=False,
                       log=LOG)  # fmt: skip
    assert str(err.value).startswith(f"{tmp_path}: 1 KB free, about ")
    assert "needed for final.mkv, a copy of Film (2010).mkv; free some space" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_demux_on_a_real_small_disk(tmp_path, clip, small_disk):  # noqa: F811
    disk = small_disk("64k")  # the wav of ~3.6 s needs ~115 KB
    with pytest.raises(StageError) as err:
        media.demux(clip, disk / "audio.wav", "en", LOG)
    assert f"{disk}: " in str(err.value) and "needed for the audio of" in str(err.value)
    assert list(disk.iterdir()) == []
