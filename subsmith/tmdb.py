"""Who is in the movie: TMDB's cast and facts, or what a media server left beside the file.

The tmdb stage reads the movie's name (subsmith.release_name), any .nfo/.json beside it
(subsmith.sidecars), and asks TMDB's v3 API when a key is in the environment. What it
finds goes to metadata/tmdb_data.json: the cast with their characters, in billing order,
is what later stages use to spell names right.

Order of sources: TMDB (by an id from the name or the .nfo, else by search), then the
.nfo, then the .json sidecar, then skipped with the reason. An optional stage: nothing
here may fail a movie.

The key: `TMDB_READ_TOKEN` (sent as a bearer header) or `TMDB_API_KEY` (sent as the
`api_key` query parameter), read from the environment only. It is added to the request at
the last moment and never to what is logged, cached or written: cache entries are keyed
and labelled by the URL without it, and every error text passes through `redact()`.
"""

from __future__ import annotations

import difflib
import email.utils
import hashlib
import http.client
import json
import logging
import os
import re
import time
import traceback
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import ratelimit, release_name, sidecars
from .jsonio import read_json, write_json_atomic
from .release_name import ReleaseName
from .settings import options

USER_AGENT = "subsmith/0.1 (+https://github.com/subsmith)"
# How close (difflib ratio, 0-1) a result's normalised title must be to the name's
# when it is not equal: tolerates punctuation and spelling drift, not another film.
TITLE_SIMILARITY = 0.9
_ARTICLES = re.compile(r"^(the|a|an) ")


# --- options and credentials ----------------------------------------------------------


@dataclass(frozen=True)
class TmdbOptions:
    """The `tmdb:` config section (defaults live in config.yaml, not here)."""

    api_url: str
    language: str | None
    cache_dir: str
    cache_max_age_days: float
    timeout_seconds: float
    retries: int
    backoff_seconds: float
    max_retry_wait_seconds: float
    requests_per_second: float

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], language: str | None = None) -> TmdbOptions:
        """Build from the `tmdb:` section; `language` is the workflow's spoken language,
        used when `tmdb.language` is null ("auto" leaves TMDB's own default)."""
        opts = options(cls, cfg, "tmdb")
        if opts.language is None and language not in (None, "auto"):
            opts = replace(opts, language=language)
        return opts


@dataclass(frozen=True)
class Credentials:
    """The TMDB key or read token from the environment (never printed: repr=False)."""

    api_key: str | None = field(default=None, repr=False)
    read_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        return cls(
            api_key=(env.get("TMDB_API_KEY") or "").strip() or None,
            read_token=(env.get("TMDB_READ_TOKEN") or "").strip() or None,
        )

    def __bool__(self) -> bool:
        return bool(self.api_key or self.read_token)

    def redact(self, text: str) -> str:
        """`text` with the key and token replaced: for every message that leaves here."""
        for secret in (self.api_key, self.read_token):
            if secret:
                text = text.replace(secret, "***")
                text = text.replace(urllib.parse.quote(secret, safe=""), "***")
        return text


# --- the HTTP client, its cache and its rate --------------------------------------------


class TmdbError(Exception):
    """TMDB could not answer (network, server, rate): a note, then the sidecars."""


class TmdbAuthError(TmdbError):
    """TMDB refused the key or token (HTTP 401)."""


class TmdbNotFound(TmdbError):
    """No such movie or show id (HTTP 404)."""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _status_message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("status_message") or "").strip()
    except (ValueError, AttributeError):
        return ""


class TmdbClient:
    """GET requests to TMDB's v3 API with a disk cache, retries and a shared rate.

    State is real here: the cache counters say whether this movie's data came from the
    cache ("cache": "hit") and how many requests went out.
    """

    def __init__(
        self, options: TmdbOptions, credentials: Credentials, log: logging.Logger | None = None
    ):
        self.options = options
        self.credentials = credentials
        self.log = log or logging.getLogger("subsmith.tmdb")
        self.cache_dir = Path(options.cache_dir)
        self.requests_made = 0
        self.cache_hits = 0
        self.oldest: str | None = None

    # The cache: one JSON file per request, named by a hash of the URL without the key.

    def _label(self, path: str, params: Mapping[str, Any]) -> str:
        query = urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items()))
        return f"{self.options.api_url.rstrip('/')}{path}" + (f"?{query}" if query else "")

    def _cache_file(self, label: str) -> Path:
        digest = hashlib.sha256(label.encode("utf-8")).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.json"

    def _from_cache(self, label: str) -> Any | None:
        entry = read_json(self._cache_file(label))
        if not isinstance(entry, dict) or entry.get("url") != label:
            return None
        age = time.time() - float(entry.get("fetched_epoch") or 0)
        if age > self.options.cache_max_age_days * 86400:
            return None
        self.cache_hits += 1
        self._saw(entry.get("fetched_at"))
        return entry.get("body")

    def _saw(self, fetched_at: str | None) -> None:
        if fetched_at and (self.oldest is None or fetched_at < self.oldest):
            self.oldest = fetched_at

    def get(self, path: str, **params: Any) -> Any:
        """The JSON body of GET `path` (e.g. "/movie/603"), from the cache when fresh."""
        params = {k: v for k, v in params.items() if v is not None}
        if self.options.language:
            params.setdefault("language", self.options.language)
        label = self._label(path, params)
        body = self._from_cache(label)
        if body is not None:
            self.log.info("tmdb: %s (cache)", label)
            return body
        body = self._fetch(path, params, label)
        now = datetime.now(UTC)
        entry = {
            "url": label,
            "fetched_at": now.isoformat(timespec="seconds"),
            "fetched_epoch": now.timestamp(),
            "body": body,
        }
        self._saw(entry["fetched_at"])
        text = json.dumps(entry)
        if self.credentials.redact(text) != text:  # an answer that echoes the key: not kept
            self.log.warning("tmdb: %s: the answer holds the key; not cached", label)
            return body
        try:
            write_json_atomic(self._cache_file(label), entry)
        except OSError as exc:  # a read-only or full cache slows the next run, nothing more
            self.log.warning("tmdb: cannot write the cache in %s (%s)", self.cache_dir, exc)
        return body

    def _request(self, path: str, params: Mapping[str, Any]) -> urllib.request.Request:
        query = dict(params)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.credentials.read_token:
            headers["Authorization"] = f"Bearer {self.credentials.read_token}"
        elif self.credentials.api_key:
            query["api_key"] = self.credentials.api_key
        url = f"{self.options.api_url.rstrip('/')}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return urllib.request.Request(url, headers=headers, method="GET")

    def _fetch(self, path: str, params: Mapping[str, Any], label: str) -> Any:
        o = self.options
        attempts = o.retries + 1
        last = ""
        for attempt in range(attempts):
            wait = o.backoff_seconds * (2**attempt)
            ratelimit.wait_for_slot(self.cache_dir / "ratelimit", o.requests_per_second)
            self.requests_made += 1
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(  # noqa: S310 - api_url is http(s) from config
                    self._request(path, params), timeout=o.timeout_seconds
                ) as resp:
                    raw = resp.read()
                self.log.info("tmdb: %s -> 200 in %.2f s", label, time.monotonic() - t0)
                try:
                    return json.loads(raw)
                except ValueError:
                    last = "the answer is not JSON"
            except urllib.error.HTTPError as exc:
                body = exc.read() if exc.fp is not None else b""
                message = self.credentials.redact(_status_message(body))
                self.log.info("tmdb: %s -> HTTP %s %s", label, exc.code, message)
                if exc.code == 401:
                    raise TmdbAuthError(
                        f"TMDB refused the key (HTTP 401{': ' + message if message else ''}); "
                        "check TMDB_API_KEY or TMDB_READ_TOKEN"
                    ) from None
                if exc.code == 404:
                    raise TmdbNotFound(f"TMDB has no {path} (HTTP 404)") from None
                last = f"HTTP {exc.code}" + (f" ({message})" if message else "")
                if exc.code == 429 or exc.code >= 500:
                    asked = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                    if asked is not None:
                        if asked > o.max_retry_wait_seconds:
                            raise TmdbError(
                                f"TMDB asked to wait {asked:.0f} s ({last}), more than "
                                f"tmdb.max_retry_wait_seconds ({o.max_retry_wait_seconds:g})"
                            ) from None
                        wait = max(wait, asked)
                else:
                    raise TmdbError(f"TMDB answered {last} for {path}") from None
            except TimeoutError:
                last = f"no answer within {o.timeout_seconds:g} s"
                self.log.info("tmdb: %s -> %s", label, last)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, TimeoutError):
                    last = f"no answer within {o.timeout_seconds:g} s"
                else:
                    last = self.credentials.redact(f"cannot reach {o.api_url} ({reason})")
                self.log.info("tmdb: %s -> %s", label, last)
            if attempt + 1 < attempts:
                self.log.info("tmdb: retry %d of %d in %.1f s", attempt + 1, o.retries, wait)
                time.sleep(wait)
        raise TmdbError(f"TMDB did not answer {path} after {attempts} tries: {last}")


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


# --- the stage ------------------------------------------------------------------------


def _mtime_iso(path: Path | None) -> str | None:
    if path is None:
        return None
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def gather(
    movie: str | os.PathLike[str],
    options: TmdbOptions,
    *,
    root: str | os.PathLike[str] | None = None,
    extensions: Iterable[str] = (),
    credentials: Credentials | None = None,
    log: logging.Logger | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """tmdb_data.json for one movie file, and the notes for the manifest.

    Never raises for what the world does (no key, no network, a refused key, a broken
    sidecar): those become notes, and `status: skipped` when no source had the movie.
    """
    log = log or logging.getLogger("subsmith.tmdb")
    movie = Path(movie)
    credentials = Credentials.from_env() if credentials is None else credentials
    notes: list[str] = []
    # The .nfo's kind, title and year beat the name's guess (sidecars.beside).
    name, nfo, nfo_file, js, js_file = sidecars.beside(
        movie, release_name.parse(movie, root), extensions, notes
    )
    hints = {**(js or {}), **(nfo or {})}
    base: dict[str, Any] = {"query": name.as_query()}

    if credentials:
        client = TmdbClient(options, credentials, log)
        try:
            found, how = lookup(client, name, hints)
        except TmdbError as exc:
            found, how = None, credentials.redact(str(exc))
        except Exception as exc:  # noqa: BLE001 - an answer we did not expect: the sidecars
            log.error("%s", credentials.redact(traceback.format_exc()))
            text = " ".join(str(exc).split())
            found, how = (
                None,
                credentials.redact(f"TMDB lookup failed: {type(exc).__name__}: {text}"),
            )
        sidecar_cast = any(d and d.get("cast") for d in (nfo, js))
        if found is not None and not found["cast"] and sidecar_cast:
            # TMDB knows the film but lists nobody (it happens for small films): the
            # sidecar's cast is worth more than an empty one.
            found, how = None, f"tmdb id {found['tmdb_id']} lists no cast"
        if found is not None:
            cache = "hit" if client.requests_made == 0 else "miss"
            notes.append(f"tmdb id {found['tmdb_id']}, {len(found['cast'])} cast ({how})")
            return {
                "status": "success",
                "source": "tmdb",
                "reason": None,
                **base,
                **found,
                "fetched_at": client.oldest,
                "cache": cache,
            }, notes
        notes.append(how if how.startswith(("TMDB", "tmdb")) else f"TMDB: {how}")
    else:
        notes.append("no TMDB key")

    for source, data, path in (("nfo", nfo, nfo_file), ("json", js, js_file)):
        if data is not None and not (data.get("cast") or data.get("title")):
            notes.append(f"{path}: no title or cast in it")
        elif data is not None:
            notes.append(f"{source}: {len(data['cast'])} cast")
            return {
                "status": "success",
                "source": source,
                "reason": None,
                **base,
                "kind": name.kind,
                "title": name.title,
                "original_title": None,
                "year": name.year,
                "original_language": None,
                "overview": "",
                **{k: v for k, v in data.items() if v is not None},
                "sidecar": str(path),
                "fetched_at": _mtime_iso(path),
                "cache": None,
            }, notes
    if nfo_file is None and js_file is None:
        notes[-1] += ", no .nfo or .json beside the movie"
    reason = "; ".join(notes)
    return {
        "status": "skipped",
        "source": "none",
        "reason": reason,
        **base,
        "cast": [],
        "crew": [],
    }, notes
