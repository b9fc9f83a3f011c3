import os
from pathlib import Path

import pytest

from subsmith.harness import library

HOSTILE = [
    "Plain",
    "With Spaces (2010)",
    'Tom\'s "quoted" movie',
    "semi;colon & amp",
    "$(touch pwned)",
    "`touch pwned2`",
    "Amélie — 日本語 🎬",
    "-leading-dash",
]


def test_discovers_any_name_and_only_videos(tmp_path: Path):
    for name in HOSTILE:
        (tmp_path / f"{name}.mkv").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Nested.MP4").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a movie")
    (tmp_path / ".hidden.mkv").write_bytes(b"x")
    (tmp_path / "Movie.en.srt").write_text("")
    found = library.discover(tmp_path, ["mkv", "mp4"]).movies
    assert set(found) == set(HOSTILE) | {"sub/Nested"}
    assert found["sub/Nested"] == tmp_path / "sub" / "Nested.MP4"
    assert not (tmp_path / "pwned").exists()


def test_same_name_in_two_folders_is_two_movies(tmp_path: Path):
    for movie in ("A (2001)", "B (2002)"):
        (tmp_path / movie / "Featurettes").mkdir(parents=True)
        (tmp_path / movie / "Featurettes" / "Behind the Scenes.mkv").write_bytes(b"x")
    (tmp_path / "Top (2010).mkv").write_bytes(b"x")
    lib = library.discover(tmp_path, ["mkv"])
    assert sorted(lib.movies) == [
        "A (2001)/Featurettes/Behind the Scenes",
        "B (2002)/Featurettes/Behind the Scenes",
        "Top (2010)",
    ]
    assert lib.refused == {}


def test_bad_entries_are_refused_alone(tmp_path: Path):
    (tmp_path / "Film.mkv").write_bytes(b"x")
    (tmp_path / "Film.mp4").write_bytes(b"x")
    (tmp_path / "Good.mkv").write_bytes(b"x")
    with open(os.fsencode(tmp_path) + b"/Am\xe9lie (2001).mkv", "wb") as fh:
        fh.write(b"x")
    lib = library.discover(tmp_path, ["mkv", "mp4"])
    assert list(lib.movies) == ["Good"]
    assert set(lib.refused) == {"Film", "Am\\xe9lie (2001)"}
    assert "would share its output folder 'Film'; rename one" in lib.refused["Film"]
    assert (
        "Am\\xe9lie (2001).mkv: the file name is not valid UTF-8"
        in (lib.refused["Am\\xe9lie (2001)"])
    )
    for line in lib.refused.values():
        line.encode()  # printable on any terminal, no surrogates
        assert "\n" not in line


def test_a_long_name_is_cut_to_leave_room_for_the_sidecar(tmp_path: Path):
    # 250 characters, 251 bytes: with ".mkv" just what the file system allows.
    name = "Amélie " + ("and the Long Title " * 13)[:236] + " (2019)"
    (tmp_path / f"{name}.mkv").write_bytes(b"x")
    (movie,) = library.discover(tmp_path, ["mkv"], tmp_path / "out").movies
    assert len(name) == 250 and len(movie.encode()) <= 255 - library.SIDECAR_ROOM
    assert name.startswith(movie)
    (tmp_path / "out" / movie).mkdir(parents=True)
    (tmp_path / "out" / movie / f"{movie}.und.srt").write_text("")  # fits


def test_the_output_folder_inside_the_input_is_never_a_movie(tmp_path: Path):
    (tmp_path / "Film.mkv").write_bytes(b"x")
    (tmp_path / "out" / "Film").mkdir(parents=True)
    (tmp_path / "out" / "Film" / "final.mkv").write_bytes(b"x")
    assert list(library.discover(tmp_path, ["mkv"], tmp_path / "out").movies) == ["Film"]
    assert list(library.discover(tmp_path, ["mkv"], f"{tmp_path}/./out/").movies) == ["Film"]


def test_missing_folder_is_an_empty_library(tmp_path: Path):
    assert library.discover(tmp_path / "nope", ["mkv"]).movies == {}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Movie Title (2010)", ("Movie Title", 2010)),
        ("Movie.Title.1999", ("Movie Title", 1999)),
        ("No Year", ("No Year", None)),
        ("2001", ("2001", None)),
        ("Show/Season 1/Pilot (2004)", ("Pilot", 2004)),
    ],
)
def test_title_and_year(name, expected):
    assert library.title_and_year(name) == expected
