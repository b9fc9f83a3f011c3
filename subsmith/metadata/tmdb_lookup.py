"""Which TMDB record is this file: by an id (the name's, the sidecar's, an IMDb id through
TMDB's /find) or by a title search, and the record's cast and crew in the shape
tmdb_data.json keeps."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from . import sidecars
from .release_name import ReleaseName
from .tmdb_client import TmdbClient, TmdbNotFound

# How close (difflib ratio, 0-1) a result's normalised title must be to the name's
# when it is not equal: tolerates punctuation and spelling drift, not another film.
TITLE_SIMILARITY = 0.9
_ARTICLES = re.compile(r"^(the|a|an) ")


# --- which result is the movie ----------------------------------------------------------


def normalise(title: str) -> str:
    """Compare titles as people read them: no accents, case, punctuation or leading article."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w]+", " ", text).strip()
    return _ARTICLES.sub("", text)


def _year_of(date: str | None) -> int | None:
    return int(date[:4]) if date and re.match(r"^\d{4}", date) else None


def best_match(
    results: Iterable[Mapping[str, Any]],
    title: str,
    year: int | None,
    *,
    title_keys: tuple[str, str] = ("title", "original_title"),
    date_key: str = "release_date",
) -> Mapping[str, Any] | None:
    """The search result that is this movie, or None. The rule:

    1. its title or original title, normalised (`normalise`), equals the name's title or
       is at least TITLE_SIMILARITY alike (difflib); anything else is another film;
    2. when the name has a year, the result's year is within one of it (festival vs
       release dates); a result without a date then does not qualify;
    3. among those: an equal title first, then the closer year, then TMDB's own order
       (its relevance ranking).

    No result qualifying is no match: a wrong cast is worse than none.
    """
    wanted = normalise(title)
    ranked = []
    for rank, r in enumerate(results):
        names = [normalise(str(r.get(k) or "")) for k in title_keys]
        ratio = max(difflib.SequenceMatcher(None, wanted, n).ratio() for n in names)
        exact = wanted in names
        if not exact and ratio < TITLE_SIMILARITY:
            continue
        distance = 0
        if year is not None:
            found = _year_of(r.get(date_key))
            if found is None or abs(found - year) > 1:
                continue
            distance = abs(found - year)
        ranked.append(((not exact, distance, -ratio, rank), r))
    return min(ranked, key=lambda x: x[0])[1] if ranked else None


def _search(
    client: TmdbClient, kind: str, titles: list[str], year: int | None
) -> tuple[int | None, str]:
    """Search by title and year, then without the year, then by the original title."""
    endpoint, year_param, keys, date_key = {
        "movie": ("/search/movie", "year", ("title", "original_title"), "release_date"),
        "tv": ("/search/tv", "first_air_date_year", ("name", "original_name"), "first_air_date"),
    }[kind]
    tries: list[tuple[str, int | None]] = []
    for t in titles:
        for y in (year, None) if year is not None else (None,):
            if t and (t, y) not in tries:
                tries.append((t, y))
    for t, y in tries:
        params = {"query": t, "include_adult": "false", year_param: y}
        data = client.get(endpoint, **params)
        hit = best_match(data.get("results") or [], t, year, title_keys=keys, date_key=date_key)
        if hit is not None:
            how = f"search {t!r}" + (f" {y}" if y else "")
            return int(hit["id"]), how
    return None, "no match for " + " / ".join(repr(t) for t in dict.fromkeys(titles) if t)


def _crew(crew: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for c in crew:
        item = {"name": str(c.get("name") or ""), "job": str(c.get("job") or "")}
        if item["name"] and item["job"] in sidecars.CREW_JOBS and item not in out:
            out.append(item)
    return out


def _cast(cast: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = [
        {
            "name": str(c["name"]),
            "character": str(c.get("character") or ""),
            "order": int(c.get("order", i)),
        }
        for i, c in enumerate(cast)
        if c.get("name")
    ]
    return sorted(out, key=lambda c: c["order"])


def movie_by_id(client: TmdbClient, tmdb_id: int) -> dict[str, Any]:
    """Details and credits of one movie (one request: append_to_response=credits)."""
    m = client.get(f"/movie/{tmdb_id}", append_to_response="credits")
    credits = m.get("credits") or {}
    return {
        "kind": "movie",
        "tmdb_id": int(m["id"]),
        "imdb_id": m.get("imdb_id") or None,
        "title": m.get("title"),
        "original_title": m.get("original_title"),
        "year": _year_of(m.get("release_date")),
        "original_language": m.get("original_language"),
        "overview": m.get("overview") or "",
        "cast": _cast(credits.get("cast") or []),
        "crew": _crew(credits.get("crew") or []),
    }


def episode_by_id(
    client: TmdbClient, show_id: int, season: int, episodes: Iterable[int]
) -> dict[str, Any]:
    """The show's cast (all seasons, billing order) plus each episode's guest stars."""
    show = client.get(f"/tv/{show_id}", append_to_response="aggregate_credits")
    cast = []
    for i, c in enumerate((show.get("aggregate_credits") or {}).get("cast") or []):
        roles = [r.get("character") for r in c.get("roles") or [] if r.get("character")]
        if c.get("name"):
            cast.append(
                {"name": c["name"], "character": " / ".join(roles), "order": c.get("order", i)}
            )
    cast.sort(key=lambda c: c["order"])
    known = {c["name"] for c in cast}
    crew: list[dict[str, str]] = []
    eps = []
    for number in episodes:
        try:
            ep = client.get(f"/tv/{show_id}/season/{season}/episode/{number}")
        except TmdbNotFound:
            eps.append({"season": season, "episode": number, "title": None, "overview": None})
            continue
        eps.append(
            {
                "season": season,
                "episode": number,
                "title": ep.get("name"),
                "overview": ep.get("overview") or "",
            }
        )
        for g in _cast(ep.get("guest_stars") or []):
            if g["name"] not in known:
                known.add(g["name"])
                cast.append({**g, "order": len(cast), "guest": True})
        crew += [c for c in _crew(ep.get("crew") or []) if c not in crew]
    return {
        "kind": "episode",
        "tmdb_id": int(show["id"]),
        "title": show.get("name"),
        "original_title": show.get("original_name"),
        "year": _year_of(show.get("first_air_date")),
        "original_language": show.get("original_language"),
        "overview": show.get("overview") or "",
        "episodes": eps,
        "cast": [{**c, "order": i} for i, c in enumerate(cast)],
        "crew": crew,
    }


def lookup(
    client: TmdbClient, name: ReleaseName, hints: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, str]:
    """TMDB's record for this file, and how it was found (or why none was).

    An id in the name wins, then an id in the sidecar (`hints`), then an IMDb id (TMDB's
    /find), then the search. For episodes the ids are the show's.
    """
    kind = "tv" if name.kind == "episode" else "movie"
    tmdb_id = name.tmdb_id or hints.get("tmdb_id")
    how = "id from the name" if name.tmdb_id else "id from the sidecar"
    imdb_id = name.imdb_id or hints.get("imdb_id")
    if tmdb_id is None and imdb_id:
        found = client.get(f"/find/{imdb_id}", external_source="imdb_id")
        hits = found.get(f"{kind}_results") or []
        if hits:
            tmdb_id, how = int(hits[0]["id"]), f"IMDb id {imdb_id}"
    if tmdb_id is None:
        titles = [name.title]
        if hints.get("original_title"):
            titles.append(str(hints["original_title"]))
        tmdb_id, how = _search(client, kind, titles, name.year)
        if tmdb_id is None:
            return None, how
    try:
        if kind == "tv":
            episodes = name.episodes or (1,)
            return episode_by_id(client, int(tmdb_id), name.season or 1, episodes), how
        return movie_by_id(client, int(tmdb_id)), how
    except TmdbNotFound:
        return None, f"TMDB has no {kind} with id {tmdb_id} ({how})"
