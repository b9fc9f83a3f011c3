"""The sidecar beside the movie (publish.beside_movie): never over a user's file, atomic,
updated when it is subsmith's own (unit level; the library run is test_media_library.py)."""

from __future__ import annotations

import errno
import os

import pytest

from subsmith.subtitles import publish

SRT = "1\n00:00:00,500 --> 00:00:02,000\nHello.\n"


@pytest.fixture
def movie(tmp_path):
    lib, out = tmp_path / "Movies" / "Film (2010)", tmp_path / "out" / "Film (2010)"
    lib.mkdir(parents=True)
    out.mkdir(parents=True)
    (lib / "Film (2010).mkv").write_bytes(b"movie")
    (out / "Film (2010).en.srt").write_text(SRT)
    return lib / "Film (2010).mkv", out


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_the_sidecar_goes_beside_the_movie_and_is_recorded(movie):
    mkv, out = movie
    report = publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "eng")
    target = mkv.with_name("Film (2010).en.srt")
    assert target.read_text() == SRT and report["notes"] == []
    assert report["published"] == [
        {
            "format": "srt",
            "path": str(target),
            "size": len(SRT),
            "sha256": publish.sha256(target),
            "abspath": str(target.resolve()),
        }
    ]
    assert publish.is_ours(target, publish.ledger(out))
    assert files(mkv.parent) == ["Film (2010).en.srt", "Film (2010).mkv"]  # no temp file left
    # Redone: subsmith's own file is updated.
    (out / "Film (2010).en.srt").write_text(SRT.replace("Hello", "Hello there"))
    report = publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "en")
    assert "Hello there" in target.read_text() and report["notes"] == []
    assert publish.is_ours(target, publish.ledger(out))


def test_a_users_file_of_that_name_is_never_touched(movie):
    mkv, out = movie
    theirs = mkv.with_name("Film (2010).en.srt")
    theirs.write_text("mine")
    os.utime(theirs, (1_000_000_000, 1_000_000_000))
    report = publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "en")
    assert theirs.read_text() == "mine" and theirs.stat().st_mtime == 1_000_000_000
    assert report["published"] == []
    assert report["notes"] == [
        f"{theirs} is not subsmith's (a file of yours): left as it is; "
        f"subsmith's subtitle is {out / 'Film (2010).en.srt'}"
    ]
    # One subsmith wrote and the user then edited is theirs too.
    theirs.unlink()
    publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "en")
    theirs.write_text(theirs.read_text() + "\n")
    publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "en")
    assert theirs.read_text() == SRT + "\n"


def test_a_file_that_appears_while_it_is_written_is_left(movie, monkeypatch):
    mkv, out = movie
    theirs = mkv.with_name("Film (2010).en.srt")
    real_link = os.link

    def racing_link(src, dst):
        theirs.write_text("mine")  # the user's copy lands between the check and the link
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", racing_link)
    report = publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "en")
    assert theirs.read_text() == "mine" and "appeared while subsmith wrote it" in report["notes"][0]
    assert files(mkv.parent) == ["Film (2010).en.srt", "Film (2010).mkv"]
    assert not publish.is_ours(theirs, publish.ledger(out))


def test_a_folder_that_cannot_be_written_is_one_note(movie, monkeypatch):
    mkv, out = movie

    real_mkstemp = publish.tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir == mkv.parent:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(publish.tempfile, "mkstemp", read_only)
    report = publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "en")
    assert report["published"] == []
    assert report["notes"] == [
        f"cannot write into {mkv.parent} (Read-only file system): "
        f"the subtitle stays in {out / 'Film (2010).en.srt'}"
    ]
    assert files(mkv.parent) == ["Film (2010).mkv"]
    assert publish.ledger(out) == {}


def test_an_empty_sidecar_is_not_published(movie):
    mkv, out = movie
    (out / "Film (2010).en.srt").write_text("")
    report = publish.publish_movie(
        {"srt": out / "Film (2010).en.srt"}, mkv, out, "en", beside_movie=True, name_in_out=False
    )
    assert report["published"] == [] and report["no_speech"]
    assert files(mkv.parent) == ["Film (2010).mkv"]


def test_beside_movie_off_leaves_the_library_alone(movie):
    mkv, out = movie
    report = publish.publish_movie(
        {"srt": out / "Film (2010).en.srt"}, mkv, out, "en", beside_movie=False, name_in_out=False
    )
    assert report["in_out"] == [str(out / "Film (2010).en.srt")]
    assert files(mkv.parent) == ["Film (2010).mkv"]


def test_a_file_system_without_hard_links_still_gets_it(movie, monkeypatch):
    mkv, out = movie

    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    report = publish.publish_beside({"srt": out / "Film (2010).en.srt"}, mkv, out, "en")
    target = mkv.with_name("Film (2010).en.srt")
    assert report["notes"] == [] and target.read_text() == SRT
    assert target.stat().st_mode & 0o777 == 0o666 & ~publish._UMASK
    assert files(mkv.parent) == ["Film (2010).en.srt", "Film (2010).mkv"]


def test_the_sdh_subtitle_gets_the_hearing_impaired_suffix(movie, tmp_path):
    """Beside the movie as Film (2010).en.sdh.srt (what media servers read as hearing
    impaired), recorded in the ledger so a later run knows it is subsmith's; with
    language: auto, subtitles/<movie>.sdh.srt is published as <movie>.<lang>.sdh.srt."""
    mkv, out = movie
    (out / "Film (2010).en.sdh.srt").write_text(SRT.replace("Hello.", "[phone ringing]"))
    subs = publish.sidecars_of(
        {"sub_srt": str(out / "Film (2010).en.srt"), "sdh": str(out / "Film (2010).en.sdh.srt")}
    )
    assert set(subs) == {"srt", publish.SDH}
    report = publish.publish_beside(subs, mkv, out, "en")
    target = mkv.with_name("Film (2010).en.sdh.srt")
    assert "[phone ringing]" in target.read_text() and report["notes"] == []
    assert publish.is_ours(target, publish.ledger(out))
    assert files(mkv.parent) == ["Film (2010).en.sdh.srt", "Film (2010).en.srt", "Film (2010).mkv"]
    auto = out / "subtitles" / "Film (2010).sdh.srt"
    assert publish.published_name(auto, out, "eng") == out / "Film (2010).en.sdh.srt"
    assert publish.published_name(out / "s" / "F.srt", out, "de") == out / "F.de.srt"
