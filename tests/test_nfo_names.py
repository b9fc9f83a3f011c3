"""Issue 29: an .nfo beside the movie decides what it is, whatever the file name guesses.

A release-name matrix (numbers in titles, years before 1900, editions, specials, anime
absolute numbers, id tags, dotted scene names), each with the .nfo a media server would
write beside it: the tmdb stage (no key, so the .nfo is the source) takes the .nfo's
kind, title, year and ids in every case. guessit alone gets several of them wrong
("The Printers (1470)" is S14E70 to it; "[Group] Show - 103" is no episode at all).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fake_tmdb import KEY, FakeTmdb

from subsmith.metadata import release_name, tmdb
from subsmith.metadata.tmdb import Credentials, TmdbOptions

OPTIONS = TmdbOptions(
    api_url="http://127.0.0.1:9/3",
    language="en",
    cache_dir="unused",
    cache_max_age_days=1,
    timeout_seconds=1,
    retries=0,
    backoff_seconds=0,
    max_retry_wait_seconds=0,
    requests_per_second=100,
)


def _ids_xml(ids: dict) -> str:
    """The id forms Kodi, Jellyfin and Emby write, a different one per case."""
    out = []
    if "tmdb" in ids:
        form = ids.get("form", "uniqueid")
        out.append(
            f"<tmdbid>{ids['tmdb']}</tmdbid>"
            if form == "tmdbid"
            else f'<uniqueid type="tmdb" default="true">{ids["tmdb"]}</uniqueid>'
        )
    if "imdb" in ids:
        form = ids.get("form", "uniqueid")
        out.append(
            f"<id>{ids['imdb']}</id>"
            if form == "id"
            else f'<uniqueid type="imdb">{ids["imdb"]}</uniqueid>'
        )
    return "".join(out)


def movie_nfo(title: str, year: int, ids: dict) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<movie>'
        f"<title>{title}</title><year>{year}</year>{_ids_xml(ids)}"
        "<actor><name>Ann Lee</name><role>Mara</role></actor></movie>\n"
    )


def episode_nfo(show: str, season: int, episode: int) -> str:
    return (
        "<episodedetails><title>An Episode</title>"
        f"<showtitle>{show}</showtitle><season>{season}</season><episode>{episode}</episode>"
        "<actor><name>Ann Lee</name><role>Mara</role></actor></episodedetails>\n"
    )


# (path under in/, title, year, ids) for movies; the name guessit sees is the path.
MOVIES = [
    ("The Printers (1470).mkv", "The Printers", 1470, {"tmdb": 90001}),
    ("Roundhay Garden Scene (1888).mkv", "Roundhay Garden Scene", 1888, {"imdb": "tt0392728"}),
    ("The Horse in Motion (1878).mp4", "The Horse in Motion", 1878, {"tmdb": 90003}),
    ("1917 (2019).mkv", "1917", 2019, {"tmdb": 530915, "imdb": "tt8579674"}),
    ("2001 A Space Odyssey (1968).mkv", "2001: A Space Odyssey", 1968, {"tmdb": 62}),
    ("Blade Runner 2049 (2017).mkv", "Blade Runner 2049", 2017, {"tmdb": 335984}),
    ("Apollo 13 (1995).mkv", "Apollo 13", 1995, {"tmdb": 568, "form": "tmdbid"}),
    ("300 (2006).mkv", "300", 2006, {"tmdb": 1271}),
    ("9 (2009).mkv", "9", 2009, {"tmdb": 12244}),
    ("1984 (1984).mkv", "1984", 1984, {"imdb": "tt0087803", "form": "id"}),
    ("Ocean's 11 (1960).mkv", "Ocean's 11", 1960, {"tmdb": 299}),
    ("Ocean's Eleven (2001).mkv", "Ocean's Eleven", 2001, {"tmdb": 161}),
    ("21 Grams (2003).mkv", "21 Grams", 2003, {"tmdb": 470}),
    ("Fahrenheit 451 (1966).mkv", "Fahrenheit 451", 1966, {"tmdb": 1714}),
    ("District 9 (2009).mkv", "District 9", 2009, {"tmdb": 17654}),
    ("Se7en (1995).mkv", "Se7en", 1995, {"tmdb": 807}),
    ("The 39 Steps (1935).mkv", "The 39 Steps", 1935, {"tmdb": 260}),
    ("12 Angry Men (1957).mkv", "12 Angry Men", 1957, {"tmdb": 389}),
    ("8½ (1963).mkv", "8½", 1963, {"tmdb": 422}),
    ("2046 (2004).mkv", "2046", 2004, {"tmdb": 844}),
    ("10 Things I Hate About You (1999).mkv", "10 Things I Hate About You", 1999, {"tmdb": 4951}),
    ("Metropolis (1927).mkv", "Metropolis", 1927, {"tmdb": 19}),
    ("Le Voyage dans la Lune (1902).mkv", "A Trip to the Moon", 1902, {"tmdb": 775}),
    ("Brazil (1985) {edition-Director's Cut}.mkv", "Brazil", 1985, {"tmdb": 68}),
    ("Blade Runner (1982) - Final Cut.mkv", "Blade Runner", 1982, {"tmdb": 78}),
    (
        "The Lord of the Rings The Fellowship of the Ring (2001) Extended.mkv",
        "The Lord of the Rings: The Fellowship of the Ring",
        2001,
        {"tmdb": 120},
    ),
    ("Aliens.1986.Special.Edition.720p.BluRay.mkv", "Aliens", 1986, {"tmdb": 679}),
    ("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv", "The Matrix", 1999, {"tmdb": 603}),
    ("Apollo.13.1995.REMASTERED.1080p.WEB-DL.mkv", "Apollo 13", 1995, {"tmdb": 568}),
    ("2012.2009.720p.BluRay.x264.mkv", "2012", 2009, {"tmdb": 14161}),
    ("Taken 2 (2012) [tmdbid-82675].mkv", "Taken 2", 2012, {"tmdb": 82675}),
    ("District 9 (2009) {tmdb-17654}.mkv", "District 9", 2009, {"tmdb": 17654}),
    ("Heat (1995) {imdb-tt0113277}.mkv", "Heat", 1995, {"imdb": "tt0113277"}),
    ("Arrival (2016) [tmdbid-329865]/Arrival.mkv", "Arrival", 2016, {"tmdb": 329865}),
    ("some rip 2004.mkv", "Primer", 2004, {"tmdb": 14337}),
    ("Movies/Her (2013)/Her (2013).mkv", "Her", 2013, {"tmdb": 152601}),
    ("Nosferatu (1922)/movie-1080p.mkv", "Nosferatu", 1922, {"tmdb": 653}),
]

# (path, show title, season, episode) with an <episodedetails> .nfo beside the file.
EPISODES = [
    ("Doctor Who - S00E01 - The Christmas Invasion.mkv", "Doctor Who", 0, 1),
    ("Sherlock (2010) - S00E01 - The Abominable Bride.mkv", "Sherlock", 0, 1),
    ("[SubsPlease] One Piece - 1003 [1080p].mkv", "One Piece", 1, 1003),
    ("[Erai-raws] Show - 103 [1080p].mkv", "Show", 1, 103),
    ("[Group] Naruto Shippuden - 500 [720p].mkv", "Naruto Shippuden", 1, 500),
    ("Breaking.Bad.S01E03.720p.BluRay.x264.mkv", "Breaking Bad", 1, 3),
    ("24 - S01E01 - 12 00 A.M.-1 00 A.M..mkv", "24", 1, 1),
    ("The 100 (2014) - S02E05.mkv", "The 100", 2, 5),
    ("Show 1990 - 1x01.mkv", "Show 1990", 1, 1),
]


def place(tmp_path: Path, rel: str, nfo: str) -> Path:
    path = tmp_path / "in" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    path.with_suffix(".nfo").write_text(nfo, encoding="utf-8")
    return path


def run(tmp_path: Path, path: Path, credentials=None, options=OPTIONS):
    return tmdb.gather(
        path,
        options,
        root=tmp_path / "in",
        extensions=["mkv", "mp4"],
        credentials=credentials or Credentials(),
    )


def test_the_matrix_is_big_enough():
    assert len(MOVIES) + len(EPISODES) >= 40


@pytest.mark.parametrize(("rel", "title", "year", "ids"), MOVIES, ids=[m[0] for m in MOVIES])
def test_a_movie_nfo_beats_the_name(tmp_path, rel, title, year, ids):
    path = place(tmp_path, rel, movie_nfo(title, year, ids))
    data, notes = run(tmp_path, path)
    assert notes[-1] == "nfo: 1 cast", notes
    assert data["source"] == "nfo" and data["kind"] == "movie"
    assert (data["title"], data["year"]) == (title, year)
    assert data.get("tmdb_id") == ids.get("tmdb") and data.get("imdb_id") == ids.get("imdb")
    query = data["query"]
    assert (query["kind"], query["title"], query["year"]) == ("movie", title, year)
    assert query["season"] is None and query["episodes"] == []


@pytest.mark.parametrize(
    ("rel", "show", "season", "episode"), EPISODES, ids=[e[0] for e in EPISODES]
)
def test_an_episode_nfo_beats_the_name(tmp_path, rel, show, season, episode):
    path = place(tmp_path, rel, episode_nfo(show, season, episode))
    data, notes = run(tmp_path, path)
    assert notes[-1] == "nfo: 1 cast", notes
    assert data["source"] == "nfo" and data["kind"] == "episode"
    assert data["title"] == show
    assert data["episodes"][0]["season"] == season and data["episodes"][0]["episode"] == episode
    query = data["query"]
    assert (query["kind"], query["title"]) == ("episode", show)
    assert (query["season"], query["episodes"]) == (season, [episode])


def test_the_name_alone_is_the_fallback(tmp_path):
    """No .nfo: guessit's guess stands (the issue's name is still read as an episode)."""
    path = tmp_path / "in" / "The Printers (1470).mkv"
    path.parent.mkdir(parents=True)
    path.touch()
    data, _ = run(tmp_path, path)
    assert data["status"] == "skipped" and data["query"]["kind"] == "episode"
    assert release_name.parse(path, tmp_path / "in").season == 14


def test_tmdb_is_asked_for_the_nfo_movie_not_the_guessed_episode(tmp_path):
    """With a key: the .nfo's id goes to /movie/, not /tv/ for season 14 episode 70."""
    path = place(tmp_path, "The Printers (1470).mkv", movie_nfo("The Matrix", 1999, {"tmdb": 603}))
    with FakeTmdb() as fake:
        options = replace(OPTIONS, api_url=fake.url, cache_dir=str(tmp_path / "cache"))
        data, notes = run(tmp_path, path, Credentials(api_key=KEY), options)
        assert fake.paths() == ["/movie/603"]
    assert data["source"] == "tmdb" and data["kind"] == "movie" and data["tmdb_id"] == 603
    assert notes == ["tmdb id 603, 4 cast (id from the sidecar)"]


def test_an_nfo_without_ids_searches_by_its_title_and_year(tmp_path):
    path = place(tmp_path, "sas.rip.xvid.avi.mkv", movie_nfo("Sense and Sensibility", 1995, {}))
    with FakeTmdb() as fake:
        options = replace(OPTIONS, api_url=fake.url, cache_dir=str(tmp_path / "cache"))
        data, _ = run(tmp_path, path, Credentials(api_key=KEY), options)
        search = fake.requests[0]["query"]
    assert search["query"] == "Sense and Sensibility" and search["year"] == "1995"
    assert data["tmdb_id"] == 4584


def test_a_url_only_nfo_with_a_tmdb_movie_link_makes_it_a_movie(tmp_path):
    path = place(tmp_path, "The Printers (1470).mkv", "https://www.themoviedb.org/movie/603\n")
    data, notes = run(tmp_path, path)
    assert data["query"]["kind"] == "movie" and data["query"]["season"] is None
    assert notes[-1].endswith(".nfo: no title or cast in it")  # ids only: TMDB's to fill
