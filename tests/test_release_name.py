"""Names the way media servers write them -> title, year, ids, episode."""

import pytest

from subsmith.metadata.release_name import parse, relative_name


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("in/Movie Title (2010).mkv", {"title": "Movie Title", "year": 2010, "kind": "movie"}),
        (
            "in/Movie.Title.2010.1080p.BluRay.x264-GRP.mkv",
            {"title": "Movie Title", "year": 2010, "tmdb_id": None},
        ),
        (
            "in/The Matrix (1999) {edition-Director's Cut} {tmdb-603}.mkv",
            {"title": "The Matrix", "year": 1999, "tmdb_id": 603, "edition": "Director's Cut"},
        ),
        ("in/The Matrix (1999) [tmdbid-603].mkv", {"year": 1999, "tmdb_id": 603}),
        (
            "in/The Matrix (1999) {imdb-tt0133093}.mkv",
            {"year": 1999, "imdb_id": "tt0133093", "tmdb_id": None},
        ),
        (
            "in/Show Name/Season 01/Show Name - S01E02 - Title.mkv",
            {
                "title": "Show Name",
                "kind": "episode",
                "season": 1,
                "episodes": (2,),
                "episode_title": "Title",
            },
        ),
        (
            "in/Show.Name.S01E02.mkv",
            {"title": "Show Name", "kind": "episode", "season": 1, "episodes": (2,)},
        ),
        # Jellyfin: the show's id on the show's folder, not on the episode.
        (
            "in/Breaking Bad (2008) [tmdbid-1396]/Season 1/Breaking Bad - S01E03.mkv",
            {"title": "Breaking Bad", "kind": "episode", "tmdb_id": 1396, "episodes": (3,)},
        ),
        ("in/Amélie (2001).mkv", {"title": "Amélie", "year": 2001}),
        ("in/demo.mkv", {"title": "demo", "year": None, "kind": "movie"}),
    ],
)
def test_parse(path, expected):
    got = parse(path, "in")
    for key, value in expected.items():
        assert getattr(got, key) == value, (path, key, got)


def test_the_library_folder_never_becomes_the_title(tmp_path):
    root = tmp_path / "Some Film (1970)" / "in"
    (root / "sub").mkdir(parents=True)
    assert relative_name(root / "x.mkv", root) == "x.mkv"
    assert relative_name(root / "sub" / "x.mkv", root) == "sub/x.mkv"
    got = parse(root / "untitled.mkv", root)
    assert (got.title, got.year) == ("untitled", None)


def test_query_is_plain_json():
    q = parse("in/Show.Name.S01E02E03.mkv", "in").as_query()
    assert q["episodes"] == [2, 3] and q["kind"] == "episode" and q["title"] == "Show Name"
