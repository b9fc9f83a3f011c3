"""existing: skip: which movies already have a full subtitle in the language (unit level;
the library run is tests/test_media_library.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from subsmith import demo
from subsmith.harness import existing, manifest
from subsmith.subtitles import publish

SRT = "1\n00:00:00,500 --> 00:00:02,000\nHello.\n"


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("Film (2010).en.srt", ("en", False)),
        ("Film (2010).eng.srt", ("en", False)),
        ("Film (2010).en.sdh.srt", ("en", False)),
        ("Film (2010).en.hi.srt", ("en", False)),  # hearing impaired, not Hindi
        ("Film (2010).hi.srt", ("hi", False)),  # Hindi
        ("Film (2010).en-US.default.ass", ("en", False)),
        ("Film (2010).ger.srt", ("de", False)),
        ("Film (2010).en.forced.srt", ("en", True)),
        ("Film (2010).forced.eng.srt", ("en", True)),
        ("Film (2010).en.foreign.srt", ("en", True)),
        ("Film (2010).srt", (None, False)),  # no language: unknown
        ("Film (2010).director.srt", (None, False)),
    ],
)
def test_a_sidecar_name_says_its_language_and_whether_it_is_forced(name, want):
    assert existing.sidecar_language("Film (2010)", name) == want


def _sub(index, language, forced=False, title=""):
    return {
        "index": index,
        "codec_type": "subtitle",
        "codec_name": "subrip",
        "tags": {"language": language, **({"title": title} if title else {})},
        "disposition": {"forced": int(forced)},
    }


def test_embedded_full_subtitles_count_forced_ones_do_not():
    info = {
        "streams": [
            {"index": 0, "codec_type": "video"},
            _sub(1, "eng", forced=True),
            _sub(2, "eng", title="English Forced"),  # forced by its title only
            _sub(3, "ger"),
        ]
    }
    assert existing.embedded(info, "en") == []
    assert existing.embedded(info, "de") == ["stream #3 (ger, subrip)"]
    info["streams"].append(_sub(4, "en"))
    assert existing.embedded(info, "en") == ["stream #4 (en, subrip)"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    audio, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, tail=0.3)
    d = tmp_path_factory.mktemp("clip")
    return demo.make_movie(d / "clip.mkv", [{"audio": audio, "language": "eng"}])


def with_subtitle(clip: Path, dest: Path, language: str, forced: bool = False) -> Path:
    srt = dest.with_suffix(".tmp.srt")
    srt.write_text(SRT)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", f"file:{clip}", "-i",
         f"file:{srt}", "-map", "0", "-map", "1", "-c", "copy",
         "-metadata:s:s:0", f"language={language}",
         "-disposition:s:0", "forced" if forced else "0", f"file:{dest}"],
        check=True,
    )  # fmt: skip
    srt.unlink()
    return dest


def test_decide_reads_the_folder_first_then_the_file(clip, tmp_path):
    movie = tmp_path / "Film.mkv"
    movie.write_bytes(clip.read_bytes())
    assert not existing.decide(movie, "en").skip
    (tmp_path / "Film.en.forced.srt").write_text(SRT)
    (tmp_path / "Film.srt").write_text(SRT)
    assert not existing.decide(movie, "en").skip
    (tmp_path / "Film.eng.srt").write_text(SRT)
    d = existing.decide(movie, "en")
    assert d.skip and d.reason == "a subtitle in English is beside it: Film.eng.srt"
    assert not existing.decide(movie, "de").skip
    # Embedded: a forced track does not count, a full one does.
    forced = with_subtitle(clip, tmp_path / "Forced.mkv", "eng", forced=True)
    assert not existing.decide(forced, "en").skip
    full = with_subtitle(clip, tmp_path / "Full.mkv", "eng")
    d = existing.decide(full, "en")
    assert d.skip and "stream #2 (eng, subrip)" in d.reason


def test_with_language_auto_the_audio_tracks_language_is_looked_for(clip, tmp_path):
    movie = tmp_path / "Film.mkv"
    movie.write_bytes(clip.read_bytes())  # its audio is tagged eng
    (tmp_path / "Film.en.srt").write_text(SRT)
    assert existing.decide(movie, None).skip
    (tmp_path / "Film.en.srt").unlink()
    (tmp_path / "Film.de.srt").write_text(SRT)
    assert not existing.decide(movie, None).skip


def test_a_sidecar_subsmith_wrote_is_not_the_users(clip, tmp_path):
    lib, out = tmp_path / "in", tmp_path / "out" / "Film"
    lib.mkdir()
    out.mkdir(parents=True)
    movie = lib / "Film.mkv"
    movie.write_bytes(clip.read_bytes())
    ours = out / "Film.en.srt"
    ours.write_text(SRT)
    report = publish.publish_beside({"srt": ours}, movie, out, "en")
    assert [p["path"] for p in report["published"]] == [str(lib / "Film.en.srt")]
    assert not existing.decide(movie, "en", publish.ledger(out)).skip
    (lib / "Film.en.srt").write_text(SRT + "\n2\n00:00:03,000 --> 00:00:04,000\nMine.\n")
    assert existing.decide(movie, "en", publish.ledger(out)).skip  # edited: the user's now


def test_check_library_records_skips_and_reuses_them(clip, tmp_path, monkeypatch):
    lib, out = tmp_path / "in", tmp_path / "out"
    lib.mkdir()
    for name in ("A", "B"):
        (lib / f"{name}.mkv").write_bytes(clip.read_bytes())
    (lib / "B.en.srt").write_text(SRT)
    movies = {"A": lib / "A.mkv", "B": lib / "B.mkv"}
    assert existing.check_library(movies, out, "en", "add") == {}
    assert existing.check_library(movies, out, "en", "skip", write=False) == {
        "B": "a subtitle in English is beside it: B.en.srt"
    }
    assert not out.exists()  # a dry run writes nothing
    skipped = existing.check_library(movies, out, "en", "skip", on_skip=manifest.record_skip)
    assert set(skipped) == {"B"} and (out / "B" / existing.RECORD).is_file()
    assert (out / "B" / "manifest.json").is_file() and not (out / "A").exists()
    assert (out / existing.CACHE).is_file()  # A's decision, not to skip, is kept there
    # Both are reused while the file and the sidecars are the same: no probe.
    monkeypatch.setattr(existing, "decide", lambda *a, **k: pytest.fail("decided again"))
    monkeypatch.setattr("subsmith.media.probe.probe", lambda *a: pytest.fail("probed again"))
    assert set(existing.check_library(movies, out, "en", "skip", on_skip=manifest.record_skip)) == {
        "B"
    }
    monkeypatch.undo()
    (lib / "A.en.srt").write_text(SRT)  # a new sidecar: decided again
    assert set(existing.check_library(movies, out, "en", "skip", on_skip=manifest.record_skip)) == {
        "A",
        "B",
    }
    (lib / "A.en.srt").unlink()
    assert existing.check_library(movies, out, "en", "add", write=False) == {}
    assert (out / "B" / existing.RECORD).exists()  # a dry run keeps it
    assert existing.check_library(movies, out, "en", "add") == {}
    assert not (out / "B" / existing.RECORD).exists()  # existing: add: done now
    assert set(existing.check_library(movies, out, "en", "skip", on_skip=manifest.record_skip)) == {
        "B"
    }
    (lib / "B.en.srt").unlink()  # the user took it away: B is done now
    assert existing.check_library(movies, out, "en", "skip", on_skip=manifest.record_skip) == {}
    assert not (out / "B" / existing.RECORD).exists()


def test_dry_run_is_read_from_the_command_line():
    assert existing.dry_run(["snakemake", "--cores", "2", "-n"])
    assert existing.dry_run(["snakemake", "-np"])
    assert existing.dry_run(["snakemake", "--dry-run"])
    assert not existing.dry_run(["snakemake", "--cores", "2", "out/A/final.mkv"])
