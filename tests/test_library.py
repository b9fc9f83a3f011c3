from pathlib import Path

import pytest

from subsmith import library

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
    found = library.discover(tmp_path, ["mkv", "mp4"])
    assert set(found) == set(HOSTILE) | {"Nested"}
    assert found["Nested"] == tmp_path / "sub" / "Nested.MP4"
    assert not (tmp_path / "pwned").exists()


def test_duplicate_names_are_an_error(tmp_path: Path):
    (tmp_path / "Film.mkv").write_bytes(b"x")
    (tmp_path / "Film.mp4").write_bytes(b"x")
    with pytest.raises(library.LibraryError, match="both named 'Film'.*rename"):
        library.discover(tmp_path, ["mkv", "mp4"])


def test_missing_folder_is_an_empty_library(tmp_path: Path):
    assert library.discover(tmp_path / "nope", ["mkv"]) == {}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Movie Title (2010)", ("Movie Title", 2010)),
        ("Movie.Title.1999", ("Movie Title", 1999)),
        ("No Year", ("No Year", None)),
        ("2001", ("2001", None)),
    ],
)
def test_title_and_year(name, expected):
    assert library.title_and_year(name) == expected
