"""The tmdb stage against a fake TMDB on 127.0.0.1 (real HTTP), and its sidecar fallbacks."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from fake_tmdb import KEY, TOKEN, FakeTmdb
from test_sidecars import JELLYFIN_EPISODE, JELLYFIN_SHOW, KODI_MOVIE

from subsmith.metadata import tmdb
from subsmith.metadata.tmdb import Credentials, TmdbOptions, best_match

REPO = Path(__file__).resolve().parent.parent
SHIPPED = yaml.safe_load((REPO / "config.yaml").read_text())["tmdb"]
BAD_KEY = "bAd-KeY-00000000000000000000000000000000"


@pytest.fixture
def fake():
    with FakeTmdb() as server:
        yield server


def options(tmp_path: Path, fake: FakeTmdb | None = None, **changes) -> TmdbOptions:
    """The shipped config section, pointed at the fake server and a fresh cache."""
    cfg = {
        **SHIPPED,
        "api_url": fake.url if fake else "http://127.0.0.1:9/3",
        "cache_dir": str(tmp_path / "cache"),
        "backoff_seconds": 0.05,
        **changes,
    }
    return TmdbOptions.from_config(cfg, "en")


def movie(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def in_root(path: Path) -> Path:
    return next(p for p in path.parents if p.name == "in")


WITH_KEY = Credentials(api_key=KEY)


def run(path: Path, opts: TmdbOptions, creds=WITH_KEY):
    log = logging.getLogger(f"test.tmdb.{time.monotonic_ns()}")
    text = io.StringIO()
    log.addHandler(logging.StreamHandler(text))
    log.setLevel(logging.INFO)
    data, notes = tmdb.gather(
        path, opts, root=in_root(path), extensions=["mkv"], credentials=creds, log=log
    )
    return data, notes, text.getvalue()


# ---------------------------------------------------------------- TMDB


def test_search_then_credits(tmp_path, fake):
    data, notes, _ = run(
        movie(tmp_path, "Sense.and.Sensibility.1995.1080p.BluRay.x264-GRP.mkv"),
        options(tmp_path, fake),
    )
    assert fake.paths() == ["/search/movie", "/movie/4584"]
    search = fake.requests[0]["query"]
    assert search["query"] == "Sense and Sensibility" and search["year"] == "1995"
    assert fake.requests[1]["query"]["append_to_response"] == "credits"
    assert data["status"] == "success" and data["source"] == "tmdb" and data["cache"] == "miss"
    assert data["tmdb_id"] == 4584 and data["year"] == 1995 and data["original_language"] == "en"
    assert data["cast"][:2] == [
        {"name": "Emma Thompson", "character": "Elinor Dashwood", "order": 0},
        {"name": "Kate Winslet", "character": "Marianne Dashwood", "order": 1},
    ]
    assert {"name": "Jane Austen", "job": "Novel"} in data["crew"]
    assert {"name": "Ang Lee", "job": "Director"} in data["crew"]
    assert data["query"]["title"] == "Sense and Sensibility" and data["query"]["year"] == 1995
    assert notes[-1].startswith("tmdb id 4584, 4 cast")


def test_the_year_picks_the_right_film_and_a_wrong_year_picks_none(tmp_path, fake):
    data, _, _ = run(movie(tmp_path, "Sense and Sensibility (1971).mkv"), options(tmp_path, fake))
    assert data["tmdb_id"] == 7512
    # 1980: the search with the year finds nothing, without it two films 9 and 15 years
    # off: neither is this file.
    data, notes, _ = run(
        movie(tmp_path, "Sense and Sensibility (1980).mkv"), options(tmp_path, fake)
    )
    assert data["status"] == "skipped" and data["cast"] == []
    assert "no match for 'Sense and Sensibility'" in data["reason"]


def test_an_id_in_the_name_goes_straight_to_the_movie(tmp_path, fake):
    path = movie(tmp_path, "The Matrix (1999) {edition-Director's Cut} [tmdbid-603].mkv")
    data, notes, _ = run(path, options(tmp_path, fake))
    assert fake.paths() == ["/movie/603"]
    assert data["title"] == "The Matrix" and data["query"]["edition"] == "Director's Cut"
    assert [c["name"] for c in data["cast"]][0] == "Keanu Reeves"
    assert notes == ["tmdb id 603, 4 cast (id from the name)"]


def test_an_imdb_id_is_found_through_tmdb(tmp_path, fake):
    data, _, _ = run(movie(tmp_path, "Matrix {imdb-tt0133093}.mkv"), options(tmp_path, fake))
    assert fake.paths() == ["/find/tt0133093", "/movie/603"]
    assert fake.requests[0]["query"]["external_source"] == "imdb_id"
    assert data["tmdb_id"] == 603


def test_a_tv_episode_has_the_show_cast_and_its_guest_stars(tmp_path, fake):
    path = movie(
        tmp_path, "Breaking Bad/Season 01/Breaking Bad - S01E03 - And the Bag's in the River.mkv"
    )
    data, notes, _ = run(path, options(tmp_path, fake))
    assert fake.paths() == ["/search/tv", "/tv/1396", "/tv/1396/season/1/episode/3"]
    assert data["kind"] == "episode" and data["title"] == "Breaking Bad"
    assert data["episodes"][0]["title"] == "...And the Bag's in the River"
    assert [(c["name"], c["character"], c.get("guest", False)) for c in data["cast"]] == [
        ("Bryan Cranston", "Walter White", False),
        ("Aaron Paul", "Jesse Pinkman", False),
        ("Max Arciniega", "Krazy-8", True),
        ("John Koyama", "Emilio Koyama", True),
    ]
    assert notes[-1].startswith("tmdb id 1396, 4 cast")


def test_429_waits_as_long_as_retry_after_says(tmp_path, fake):
    fake.faults = [("status", 429, {"Retry-After": "1"})]
    t0 = time.monotonic()
    data, _, log = run(movie(tmp_path, "The Matrix [tmdbid-603].mkv"), options(tmp_path, fake))
    waited = time.monotonic() - t0
    assert data["status"] == "success" and fake.paths() == ["/movie/603", "/movie/603"]
    assert waited >= 1.0  # the backoff alone would have been 0.05 s
    assert "HTTP 429" in log


def test_a_retry_after_beyond_the_limit_gives_up_at_once(tmp_path, fake):
    fake.faults = [("status", 429, {"Retry-After": "3600"})]
    t0 = time.monotonic()
    data, _, _ = run(movie(tmp_path, "The Matrix [tmdbid-603].mkv"), options(tmp_path, fake))
    assert time.monotonic() - t0 < 5
    assert data["status"] == "skipped"
    assert "TMDB asked to wait 3600 s" in data["reason"]


def test_a_timeout_is_retried(tmp_path, fake):
    fake.faults = [("slow", 1.5)]
    opts = options(tmp_path, fake, timeout_seconds=0.5)
    data, _, log = run(movie(tmp_path, "The Matrix [tmdbid-603].mkv"), opts)
    assert data["status"] == "success" and len(fake.requests) == 2
    assert "no answer within 0.5 s" in log


def test_no_answer_at_all_is_a_note_not_a_failure(tmp_path, fake):
    fake.faults = [("slow", 1.0), ("slow", 1.0)]
    opts = options(tmp_path, fake, timeout_seconds=0.3, retries=1)
    data, notes, _ = run(movie(tmp_path, "The Matrix [tmdbid-603].mkv"), opts)
    assert data["status"] == "skipped"
    assert "TMDB did not answer /movie/603 after 2 tries: no answer within 0.3 s" in data["reason"]
    assert "\n" not in data["reason"]


def test_a_500_then_success(tmp_path, fake):
    fake.faults = [("status", 500)]
    data, _, log = run(movie(tmp_path, "The Matrix [tmdbid-603].mkv"), options(tmp_path, fake))
    assert data["status"] == "success" and len(fake.requests) == 2
    assert "HTTP 500" in log


def test_an_answer_of_an_unexpected_shape_is_a_note(tmp_path, fake):
    fake.faults = [("json", {"status_message": f"echo {KEY}"})]
    data, notes, log = run(movie(tmp_path, "The Matrix [tmdbid-603].mkv"), options(tmp_path, fake))
    assert data["status"] == "skipped"
    assert data["reason"].startswith("TMDB lookup failed: KeyError: 'id'")
    assert KEY not in log and KEY not in data["reason"]
    assert not list((tmp_path / "cache").rglob("*.json"))  # it echoed the key: not cached


def test_the_second_run_is_served_by_the_cache(tmp_path, fake):
    path = movie(tmp_path, "Sense and Sensibility (1995).mkv")
    first, _, _ = run(path, options(tmp_path, fake))
    asked = len(fake.requests)
    second, _, log = run(path, options(tmp_path, fake))
    assert len(fake.requests) == asked  # no request made
    assert second["cache"] == "hit" and first["cache"] == "miss"
    assert {**second, "cache": "miss"} == first
    assert "(cache)" in log
    # Older than the age limit: asked again.
    third, _, _ = run(path, options(tmp_path, fake, cache_max_age_days=0))
    assert len(fake.requests) == 2 * asked and third["cache"] == "miss"
    files = list((tmp_path / "cache").rglob("*.json"))
    assert len(files) == asked
    for f in files:
        assert KEY not in f.read_text() and KEY not in f.name


def test_the_read_token_goes_in_a_header_and_nowhere_else(tmp_path, fake):
    data, _, log = run(
        movie(tmp_path, "The Matrix [tmdbid-603].mkv"),
        options(tmp_path, fake),
        Credentials(read_token=TOKEN),
    )
    assert data["status"] == "success"
    assert fake.requests[0]["auth"] == f"Bearer {TOKEN}"
    assert "api_key" not in fake.requests[0]["query"]
    assert TOKEN not in log and TOKEN not in str(data)


def test_a_bad_key_is_one_line_and_the_stage_skipped(tmp_path, fake):
    path = movie(tmp_path, "The Matrix [tmdbid-603].mkv")
    data, notes, log = run(path, options(tmp_path, fake), Credentials(api_key=BAD_KEY))
    assert data["status"] == "skipped" and len(fake.requests) == 1  # a 401 is not retried
    assert data["reason"] == (
        "TMDB refused the key (HTTP 401: Invalid API key: You must be granted a valid key.); "
        "check TMDB_API_KEY or TMDB_READ_TOKEN, no .nfo or .json beside the movie"
    )
    assert BAD_KEY not in log and not list((tmp_path / "cache").rglob("*.json"))
    # With an .nfo beside the movie, the .nfo gives the cast and the note says why.
    path.with_suffix(".nfo").write_text(KODI_MOVIE.replace(">4584<", ">603<"))
    data, notes, _ = run(path, options(tmp_path, fake), Credentials(api_key=BAD_KEY))
    assert data["source"] == "nfo" and notes[-1] == "nfo: 6 cast"
    assert notes[0].startswith("TMDB refused the key")


def test_no_network_falls_back_to_the_nfo(tmp_path):
    path = movie(tmp_path, "Sense and Sensibility (1995).mkv")
    path.with_suffix(".nfo").write_text(KODI_MOVIE)
    data, notes, _ = run(path, options(tmp_path, None, retries=0))  # nothing listens on port 9
    assert data["source"] == "nfo" and data["cast"][0]["name"] == "Emma Thompson"
    assert notes[0].startswith("TMDB did not answer") and "cannot reach" in notes[0]


def test_an_id_in_the_nfo_is_used_for_tmdb(tmp_path, fake):
    path = movie(tmp_path, "some rip.mkv")
    path.with_suffix(".nfo").write_text(KODI_MOVIE)
    data, notes, _ = run(path, options(tmp_path, fake))
    assert fake.paths() == ["/movie/4584"] and data["source"] == "tmdb"
    assert notes == ["tmdb id 4584, 4 cast (id from the sidecar)"]


def test_tmdb_without_cast_leaves_it_to_the_nfo(tmp_path, fake, monkeypatch):
    import fake_tmdb

    bare = {**fake_tmdb.MOVIES[603], "credits": {"cast": [], "crew": []}}
    monkeypatch.setitem(fake_tmdb.MOVIES, 603, bare)
    path = movie(tmp_path, "The Matrix [tmdbid-603].mkv")
    data, notes, _ = run(path, options(tmp_path, fake))
    assert data["source"] == "tmdb" and data["cast"] == []  # nothing better: TMDB's answer
    path.with_suffix(".nfo").write_text(KODI_MOVIE.replace(">4584<", ">603<"))
    data, notes, _ = run(path, options(tmp_path, fake))
    assert data["source"] == "nfo" and notes == ["tmdb id 603 lists no cast", "nfo: 6 cast"]
    # An .nfo about another film (TMDB id 4584, the name says 603) is not used.
    path.with_suffix(".nfo").write_text(KODI_MOVIE)
    data, notes, _ = run(path, options(tmp_path, fake))
    assert data["source"] == "tmdb" and data["cast"] == []
    assert notes[0].endswith(".nfo: about tmdb id 4584, the name says 603; not used")


# ---------------------------------------------------------------- no key


def test_no_key_uses_the_nfo(tmp_path):
    path = movie(tmp_path, "Sense and Sensibility (1995).mkv")
    path.with_suffix(".nfo").write_text(KODI_MOVIE)
    data, notes, _ = run(path, options(tmp_path), Credentials())
    assert notes == ["no TMDB key", "nfo: 6 cast"]
    assert data["status"] == "success" and data["source"] == "nfo"
    assert data["title"] == "Sense and Sensibility" and data["year"] == 1995
    assert data["overview"].startswith("Rich Mr. Dashwood") and data["cache"] is None
    assert data["sidecar"] == str(path.with_suffix(".nfo"))


def test_no_key_uses_the_show_and_episode_nfo(tmp_path):
    path = movie(tmp_path, "Breaking Bad/Season 01/Breaking Bad - S01E03.mkv")
    (path.parent.parent / "tvshow.nfo").write_text(JELLYFIN_SHOW)
    path.with_suffix(".nfo").write_text(JELLYFIN_EPISODE)
    data, notes, _ = run(path, options(tmp_path), Credentials())
    assert notes == ["no TMDB key", "nfo: 3 cast"]
    assert data["kind"] == "episode" and data["cast"][-1]["character"] == "Krazy-8"


def test_no_key_no_nfo_uses_the_json(tmp_path):
    path = movie(tmp_path, "Film (2001).mkv")
    path.with_suffix(".json").write_text(
        '{"title": "Film", "cast": [{"name": "Ann Lee", "character": "Mara"}]}'
    )
    data, notes, _ = run(path, options(tmp_path), Credentials())
    assert notes == ["no TMDB key", "json: 1 cast"]
    assert data["source"] == "json" and data["year"] == 2001
    assert data["cast"] == [{"name": "Ann Lee", "character": "Mara", "order": 0}]


def test_a_malformed_nfo_is_a_note_and_the_json_is_next(tmp_path):
    path = movie(tmp_path, "Film (2001).mkv")
    path.with_suffix(".nfo").write_text(KODI_MOVIE.replace("</plot>", ""))
    path.with_suffix(".json").write_text('{"cast": [{"name": "Ann Lee"}]}')
    data, notes, _ = run(path, options(tmp_path), Credentials())
    assert data["source"] == "json"
    assert notes[0].startswith(f"{path.with_suffix('.nfo')}: not a valid .nfo (XML error at line")
    assert notes[1:] == ["no TMDB key", "json: 1 cast"]


def test_nothing_beside_the_movie_and_no_key_is_skipped(tmp_path):
    data, notes, _ = run(movie(tmp_path, "Film (2001).mkv"), options(tmp_path), Credentials())
    assert data["status"] == "skipped" and data["source"] == "none"
    assert data["reason"] == "no TMDB key, no .nfo or .json beside the movie"


def test_malformed_sidecars_only_is_skipped_with_both_notes(tmp_path):
    path = movie(tmp_path, "Film (2001).mkv")
    path.with_suffix(".nfo").write_text("<movie><title>x</movie>")
    path.with_suffix(".json").write_text("{")
    data, _, _ = run(path, options(tmp_path), Credentials())
    assert data["status"] == "skipped"
    assert "Film (2001).nfo: not a valid .nfo" in data["reason"]
    assert "Film (2001).json: not a JSON object" in data["reason"]


# ---------------------------------------------------------------- the rules


def test_best_match_rule():
    results = [
        {
            "id": 1,
            "title": "The Thing",
            "release_date": "2011-10-12",
            "original_title": "The Thing",
        },
        {
            "id": 2,
            "title": "The Thing",
            "release_date": "1982-06-25",
            "original_title": "The Thing",
        },
        {"id": 3, "title": "The Thing Called Love", "release_date": "1993-07-16"},
    ]
    assert best_match(results, "The Thing", 1982)["id"] == 2
    assert best_match(results, "Thing", 1983)["id"] == 2  # a year off, no article
    assert best_match(results, "The Thing", None)["id"] == 1  # TMDB's order
    assert best_match(results, "The Thing", 1990) is None
    assert best_match(results, "Thing Called Love", None)["id"] == 3
    assert best_match(results, "Something Else", None) is None
    amelie = [
        {
            "id": 194,
            "title": "Amélie",
            "original_title": "Le Fabuleux Destin d'Amélie Poulain",
            "release_date": "2001-04-25",
        }
    ]
    assert best_match(amelie, "Le fabuleux destin d'Amelie Poulain", 2001)["id"] == 194
    assert best_match(amelie, "Amelie", 2001)["id"] == 194


def test_credentials_never_show_in_repr_and_are_redacted():
    c = Credentials(api_key=KEY, read_token=TOKEN)
    assert KEY not in repr(c) and TOKEN not in repr(c)
    assert c.redact(f"url?api_key={KEY} Bearer {TOKEN}") == "url?api_key=*** Bearer ***"
    assert not Credentials.from_env({"TMDB_API_KEY": "  "})


def test_the_rate_is_shared_across_processes(tmp_path):
    """Two processes, five requests each, at 10 per second between them: >= 0.9 s. Were
    the limit per process, they would be done in about 0.4 s."""
    code = (
        "import sys; from subsmith.metadata import ratelimit\n"
        "for _ in range(5): ratelimit.wait_for_slot(sys.argv[1], 10)\n"
    )
    t0 = time.monotonic()
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "ratelimit")])
        for _ in range(2)
    ]
    assert [p.wait() for p in procs] == [0, 0]
    assert time.monotonic() - t0 >= 0.9
