"""Who is in the movie: TMDB's cast and facts, or what a media server left beside the file.

The tmdb stage reads the movie's name (subsmith.metadata.release_name), any .nfo/.json beside it
(subsmith.metadata.sidecars), and asks TMDB's v3 API when a key is in the environment. What it
finds goes to metadata/tmdb_data.json: the cast with their characters, in billing order,
is what later stages use to spell names right.

Order of sources: TMDB (by an id from the name or the .nfo, else by search), then the
.nfo, then the .json sidecar, then skipped with the reason. An optional stage: nothing
here may fail a movie.

The HTTP client, its cache and the key are tmdb_client.py's; which record is the movie,
tmdb_lookup.py's; this module is the stage.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import release_name, sidecars
from .tmdb_client import Credentials, TmdbClient, TmdbError, TmdbOptions
from .tmdb_lookup import best_match, lookup, normalise

__all__ = ["Credentials", "TmdbOptions", "best_match", "gather", "lookup", "normalise"]


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
    log = log or logging.getLogger("subsmith.metadata.tmdb")
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
