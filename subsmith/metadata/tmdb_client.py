"""TMDB's v3 API over HTTP: the `tmdb:` options, the key from the environment, and a
client with a disk cache (one JSON file per request, keyed by the URL without the key),
retries with backoff, Retry-After, and a request rate shared by every job (ratelimit.py).

The key: `TMDB_READ_TOKEN` (sent as a bearer header) or `TMDB_API_KEY` (sent as the
`api_key` query parameter), read from the environment only. It is added to the request at
the last moment and never to what is logged, cached or written: cache entries are keyed
and labelled by the URL without it, and every error text passes through `redact()`.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.jsonio import read_json, write_json_atomic
from ..core.settings import options
from . import ratelimit

USER_AGENT = "subsmith/0.1 (+https://github.com/subsmith)"


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
        self.log = log or logging.getLogger("subsmith.metadata.tmdb")
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
