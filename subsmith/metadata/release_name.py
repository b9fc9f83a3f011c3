"""What a movie file is, read from its file and folder names the way media servers name them.

Parsing is guessit's (a maintained parser made for release names: "Movie.Title.2010.1080p.
BluRay.x264-GRP", "Show Name - S01E02 - Title", Plex/Jellyfin tags `{tmdb-603}`,
`[tmdbid-603]`, `{imdb-tt0133093}`, `{edition-Director's Cut}`). What this module adds:
which part of the path guessit sees (only folders inside the library, so the library's own
location never becomes a title), the id tags of a parent folder when the file name has
none of its own (Jellyfin puts the show's `[tmdbid-1396]` on the show's folder), and one
plain shape for the rest of subsmith.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

# Parent folders guessit may read: "Show/Season 01/file" needs two.
_FOLDERS_SEEN = 2

# Plex / Jellyfin / Emby id tags, in {} or []: {tmdb-603} [tmdbid-603] {imdb-tt0133093}.
# Only to take a tag from a parent folder when guessit left the id empty (see parse()).
_ID_TAG = re.compile(
    r"[\[{](?P<kind>tmdb|tmdbid|imdb|imdbid|tvdb|tvdbid)[-=](?P<id>tt\d+|\d+)[\]}]", re.I
)


@dataclass(frozen=True)
class ReleaseName:
    """A movie or TV episode as its name tells it; None where the name does not say."""

    title: str
    kind: str  # "movie" | "episode"
    year: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    edition: str | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    episode_title: str | None = None

    def as_query(self) -> dict[str, Any]:
        """The `query` block of tmdb_data.json: what the lookup started from."""
        q = asdict(self)
        q["episodes"] = list(self.episodes)
        return q

    def corrected(self, kind: str, nfo: Mapping[str, Any]) -> ReleaseName:
        """This name as an .nfo beside the file tells it (sidecars.beside).

        A media server wrote the .nfo after matching the film, so its kind, title, year and
        episode numbers beat guessit's guess from the name, which reads a year as an
        episode ("The Printers (1470)" -> S14E70) or an absolute episode as part of the
        title; the guess only fills what the .nfo leaves out. Ids stay apart (the tmdb
        stage takes the .nfo's as hints, an id tag in the name first).
        """
        if kind == "movie":
            season, episodes, episode_title = None, (), None
        else:
            eps = [e for e in nfo.get("episodes") or [] if e.get("episode") is not None]
            season = next((e["season"] for e in eps if e.get("season") is not None), None)
            episodes = tuple(int(e["episode"]) for e in eps) or self.episodes
            episode_title = next((e["title"] for e in eps if e.get("title")), None)
            if season is None:
                season = self.season
            episode_title = episode_title or self.episode_title
        year = nfo.get("year")
        return replace(
            self,
            kind=kind,
            title=str(nfo.get("title") or self.title),
            year=int(year) if isinstance(year, int) else self.year,
            season=season,
            episodes=episodes,
            episode_title=episode_title,
        )


def relative_name(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str:
    """The file name with up to two parent folders, none of them outside `root`."""
    p = Path(path)
    parts = [p.name]
    parent = p.parent
    root_path = Path(root).resolve() if root is not None else None
    for _ in range(_FOLDERS_SEEN):
        if root_path is not None and parent.resolve() == root_path:
            break
        if parent == parent.parent or not parent.name:
            break
        parts.insert(0, parent.name)
        parent = parent.parent
    return "/".join(parts)


def _int(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _folder_ids(name: str) -> dict[str, Any]:
    """Id tags anywhere in the path, the nearest folder's first: {tmdb_id, imdb_id, tvdb_id}."""
    ids: dict[str, Any] = {}
    for part in reversed(name.split("/")):
        for m in _ID_TAG.finditer(part):
            kind = m.group("kind").lower().removesuffix("id")
            key = f"{kind}_id"
            if key not in ids:
                ids[key] = m.group("id") if kind == "imdb" else int(m.group("id"))
    return ids


def parse(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> ReleaseName:
    """Title, year, ids and episode numbers of the movie file at `path` (inside `root`)."""
    from guessit import guessit  # 0.3 s to import: only the tmdb stage pays it

    name = relative_name(path, root)
    g = guessit(name)
    ids = _folder_ids(name)
    episodes = g.get("episode")
    if episodes is None:
        episodes = ()
    elif not isinstance(episodes, list):
        episodes = (episodes,)
    kind = "episode" if g.get("type") == "episode" and g.get("season") is not None else "movie"
    title = g.get("title") or Path(path).stem
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    edition = g.get("edition")
    return ReleaseName(
        title=str(title),
        kind=kind,
        year=_int(g.get("year")),
        tmdb_id=_int(g.get("tmdb_id")) or ids.get("tmdb_id"),
        imdb_id=g.get("imdb_id") or ids.get("imdb_id"),
        tvdb_id=_int(g.get("tvdb_id")) or ids.get("tvdb_id"),
        edition=", ".join(edition) if isinstance(edition, list) else edition,
        season=_int(g.get("season")) if kind == "episode" else None,
        episodes=tuple(int(e) for e in episodes) if kind == "episode" else (),
        episode_title=g.get("episode_title") if kind == "episode" else None,
    )
