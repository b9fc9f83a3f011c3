"""A small TMDB v3 server on 127.0.0.1 for the tests: real HTTP, TMDB's response shapes.

It answers the endpoints subsmith uses (/search/movie, /search/tv, /movie/{id},
/tv/{id}, /tv/{id}/season/{s}/episode/{e}, /find/{imdb id}) from a few records shaped
like TMDB's documented answers (trimmed to a handful of fields each, with some of the
fields subsmith ignores so that it is seen to ignore them), checks the key or the bearer
token like TMDB (401 with TMDB's error body), and can be told to misbehave for the next
requests: a 429 with Retry-After, a 500, or a slow answer.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "k3y-0123456789abcdef0123456789abcdef"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.t0ken-fedcba9876543210"


def _person(pid: int, name: str, character: str, order: int) -> dict[str, Any]:
    return {
        "adult": False,
        "gender": 2,
        "id": pid,
        "known_for_department": "Acting",
        "name": name,
        "original_name": name,
        "popularity": 10.0,
        "profile_path": f"/p{pid}.jpg",
        "cast_id": order + 1,
        "character": character,
        "credit_id": f"52fe{pid:08x}",
        "order": order,
    }


def _crew(pid: int, name: str, job: str, department: str) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "credit_id": f"53fe{pid:08x}",
        "department": department,
        "job": job,
        "profile_path": None,
    }


MOVIES: dict[int, dict[str, Any]] = {
    603: {
        "adult": False,
        "id": 603,
        "imdb_id": "tt0133093",
        "original_language": "en",
        "original_title": "The Matrix",
        "overview": "Set in the 22nd century, The Matrix tells the story of a computer hacker...",
        "popularity": 90.1,
        "release_date": "1999-03-31",
        "runtime": 136,
        "title": "The Matrix",
        "vote_count": 25000,
        "credits": {
            "cast": [
                _person(6384, "Keanu Reeves", "Thomas A. Anderson / Neo", 0),
                _person(2975, "Laurence Fishburne", "Morpheus", 1),
                _person(530, "Carrie-Anne Moss", "Trinity", 2),
                _person(1331, "Hugo Weaving", "Agent Smith", 3),
            ],
            "crew": [
                _crew(9339, "Lilly Wachowski", "Director", "Directing"),
                _crew(9340, "Lana Wachowski", "Director", "Directing"),
                _crew(9341, "Lana Wachowski", "Screenplay", "Writing"),
                _crew(1091, "Bill Pope", "Director of Photography", "Camera"),
            ],
        },
    },
    4584: {
        "adult": False,
        "id": 4584,
        "imdb_id": "tt0114388",
        "original_language": "en",
        "original_title": "Sense and Sensibility",
        "overview": "Rich Mr. Dashwood dies, leaving his second wife and her daughters poor...",
        "popularity": 20.5,
        "release_date": "1995-12-13",
        "title": "Sense and Sensibility",
        "credits": {
            "cast": [
                # Deliberately out of order: subsmith must sort by "order" (billing).
                _person(207, "Kate Winslet", "Marianne Dashwood", 1),
                _person(7056, "Emma Thompson", "Elinor Dashwood", 0),
                _person(4566, "Alan Rickman", "Colonel Brandon", 2),
                _person(3291, "Hugh Grant", "Edward Ferrars", 3),
            ],
            "crew": [
                _crew(1614, "Ang Lee", "Director", "Directing"),
                _crew(7056, "Emma Thompson", "Screenplay", "Writing"),
                _crew(9000, "Jane Austen", "Novel", "Writing"),
            ],
        },
    },
    7512: {  # the 1971 BBC one: same title, other year
        "id": 7512,
        "imdb_id": "tt0066714",
        "original_language": "en",
        "original_title": "Sense and Sensibility",
        "overview": "An adaptation for television.",
        "popularity": 3.0,
        "release_date": "1971-09-01",
        "title": "Sense and Sensibility",
        "credits": {"cast": [_person(1, "Joanna David", "Elinor Dashwood", 0)], "crew": []},
    },
    194: {
        "id": 194,
        "imdb_id": "tt0211915",
        "original_language": "fr",
        "original_title": "Le Fabuleux Destin d'Amélie Poulain",
        "overview": "At a tiny Parisian café, the adorable yet painfully shy Amélie...",
        "popularity": 30.0,
        "release_date": "2001-04-25",
        "title": "Amélie",
        "credits": {
            "cast": [
                _person(3886, "Audrey Tautou", "Amélie Poulain", 0),
                _person(3887, "Mathieu Kassovitz", "Nino Quincampoix", 1),
            ],
            "crew": [_crew(2419, "Jean-Pierre Jeunet", "Director", "Directing")],
        },
    },
}

SHOWS: dict[int, dict[str, Any]] = {
    1396: {
        "id": 1396,
        "name": "Breaking Bad",
        "original_name": "Breaking Bad",
        "original_language": "en",
        "first_air_date": "2008-01-20",
        "overview": "Walter White, a New Mexico chemistry teacher, is diagnosed with cancer...",
        "number_of_seasons": 5,
        "aggregate_credits": {
            "cast": [
                {
                    "id": 17419,
                    "name": "Bryan Cranston",
                    "roles": [{"credit_id": "x", "character": "Walter White", "episode_count": 62}],
                    "total_episode_count": 62,
                    "order": 0,
                },
                {
                    "id": 84497,
                    "name": "Aaron Paul",
                    "roles": [
                        {"credit_id": "y", "character": "Jesse Pinkman", "episode_count": 62}
                    ],
                    "total_episode_count": 62,
                    "order": 1,
                },
            ],
            "crew": [],
        },
        "episodes": {
            (1, 3): {
                "air_date": "2008-02-10",
                "episode_number": 3,
                "id": 62087,
                "name": "...And the Bag's in the River",
                "overview": "Walt and Jesse clean up after the bathtub incident...",
                "season_number": 1,
                "crew": [_crew(66633, "Vince Gilligan", "Writer", "Writing")],
                "guest_stars": [
                    _person(1216132, "Max Arciniega", "Krazy-8", 0),
                    _person(92495, "John Koyama", "Emilio Koyama", 1),
                ],
            }
        },
    }
}


def _search_hit(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("adult", "id", "original_language", "original_title", "overview", "popularity")
    return {k: m[k] for k in keys if k in m} | {
        "title": m["title"],
        "release_date": m["release_date"],
        "genre_ids": [18],
        "vote_count": 100,
    }


class FakeTmdb:
    """The server, its request log, and the faults to serve next (one per request)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        # Served to the next requests, one each: ("status", 429, {"Retry-After": "1"}),
        # ("slow", seconds), ("json", body).
        self.faults: list[tuple] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/3"

    def __enter__(self) -> FakeTmdb:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def _send(self, h: BaseHTTPRequestHandler, code: int, body: Any, headers=None) -> None:
        data = json.dumps(body).encode()
        try:
            h.send_response(code)
            h.send_header("Content-Type", "application/json;charset=utf-8")
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        path = parsed.path.removeprefix("/3")
        with self.lock:
            self.requests.append(
                {"path": path, "query": query, "auth": h.headers.get("Authorization")}
            )
            fault = self.faults.pop(0) if self.faults else None
        if fault and fault[0] == "json":  # a 200 with whatever body the test wants
            return self._send(h, 200, fault[1])
        if fault and fault[0] == "slow":
            time.sleep(fault[1])
        elif fault and fault[0] == "status":
            body = {
                "status_code": 25,
                "status_message": "Your request count is over the allowed limit.",
                "success": False,
            }
            if fault[1] >= 500:
                body = {"status_code": 11, "status_message": "Internal error.", "success": False}
            return self._send(h, fault[1], body, fault[2] if len(fault) > 2 else None)
        if query.get("api_key") != KEY and h.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(
                h,
                401,
                {
                    "status_code": 7,
                    "status_message": "Invalid API key: You must be granted a valid key.",
                    "success": False,
                },
            )
        body = self._route(path, query)
        if body is None:
            return self._send(
                h,
                404,
                {
                    "status_code": 34,
                    "status_message": "The resource you requested could not be found.",
                    "success": False,
                },
            )
        self._send(h, 200, body)

    def _route(self, path: str, q: dict[str, str]) -> Any | None:
        parts = path.strip("/").split("/")
        if parts == ["search", "movie"]:
            words = q.get("query", "").casefold()
            hits = [
                m
                for m in sorted(MOVIES.values(), key=lambda m: -m["popularity"])
                if words in m["title"].casefold() or words in m["original_title"].casefold()
            ]
            if q.get("year"):
                hits = [m for m in hits if m["release_date"].startswith(q["year"])]
            results = [_search_hit(m) for m in hits]
            return {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}
        if parts == ["search", "tv"]:
            words = q.get("query", "").casefold()
            results = [
                {k: s[k] for k in ("id", "name", "original_name", "first_air_date", "overview")}
                for s in SHOWS.values()
                if words in s["name"].casefold()
            ]
            if q.get("first_air_date_year"):
                results = [
                    r for r in results if r["first_air_date"].startswith(q["first_air_date_year"])
                ]
            return {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}
        if len(parts) == 2 and parts[0] == "movie" and parts[1].isdigit():
            m = MOVIES.get(int(parts[1]))
            if m is None:
                return None
            body = {k: v for k, v in m.items() if k != "credits"}
            if "credits" in q.get("append_to_response", "").split(","):
                body["credits"] = {"id": m["id"], **m["credits"]}
            return body
        if len(parts) == 2 and parts[0] == "find":
            hits = [_search_hit(m) for m in MOVIES.values() if m["imdb_id"] == parts[1]]
            return {
                "movie_results": hits,
                "person_results": [],
                "tv_results": [],
                "tv_episode_results": [],
                "tv_season_results": [],
            }
        if len(parts) == 2 and parts[0] == "tv" and parts[1].isdigit():
            s = SHOWS.get(int(parts[1]))
            if s is None:
                return None
            body = {k: v for k, v in s.items() if k not in ("aggregate_credits", "episodes")}
            if "aggregate_credits" in q.get("append_to_response", "").split(","):
                body["aggregate_credits"] = {"id": s["id"], **s["aggregate_credits"]}
            return body
        if len(parts) == 6 and parts[0] == "tv" and parts[2] == "season" and parts[4] == "episode":
            s = SHOWS.get(int(parts[1]))
            ep = s and s["episodes"].get((int(parts[3]), int(parts[5])))
            return ep or None
        return None
