"""What media servers already know about a movie: the .nfo and .json files beside it.

Kodi, Jellyfin and Emby write an .nfo (XML) next to each movie or episode when they
scrape it: `<movie name>.nfo` (or `movie.nfo` when the movie has its own folder), and for
shows `tvshow.nfo` in the show's folder plus one .nfo per episode. It holds the title,
year, plot, the cast with their roles and the TMDB/IMDb ids: exactly what the tmdb stage
wants when it has no network or no key. A `<movie name>.json` in the shape of
tmdb_data.json is the last resort (written by hand or by another tool).

Everything read here comes back in the tmdb_data.json shape. A file that cannot be read
raises SidecarError with one line naming it: the stage turns that into a note, never
into a failed movie.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from ..core.jsonio import read_json
from .release_name import ReleaseName

# Crew jobs worth keeping: the names a dialogue may mention (or a viewer may look for).
CREW_JOBS = ("Director", "Screenplay", "Writer", "Novel", "Story", "Author", "Characters")

_DECLARATION = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>", re.I)
_TMDB_URL = re.compile(r"themoviedb\.org/(?P<kind>movie|tv)/(?P<id>\d+)")
_IMDB_ID = re.compile(r"\b(tt\d{7,})\b")


class SidecarError(ValueError):
    """A sidecar file that cannot be read; the message names it and the fix."""


def _videos_in(folder: Path, extensions: Iterable[str]) -> int:
    wanted = {e.lower().lstrip(".") for e in extensions}
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    return sum(1 for n in names if n.rpartition(".")[2].lower() in wanted and not n.startswith("."))


def movie_nfo(movie: Path, extensions: Iterable[str]) -> Path | None:
    """`<movie name>.nfo`, else `movie.nfo` when the movie is the only one in its folder
    (Kodi's rule: a shared folder's movie.nfo would describe every movie in it)."""
    own = movie.with_suffix(".nfo")
    if _is_file(own):
        return own
    shared = movie.parent / "movie.nfo"
    if _is_file(shared) and _videos_in(movie.parent, extensions) == 1:
        return shared
    return None


def tvshow_nfo(movie: Path) -> Path | None:
    """The show's tvshow.nfo: in the episode's folder or the one above ("Season 01/..")."""
    for folder in (movie.parent, movie.parent.parent):
        f = folder / "tvshow.nfo"
        if _is_file(f):
            return f
    return None


def json_sidecar(movie: Path) -> Path | None:
    f = movie.with_suffix(".json")
    return f if _is_file(f) else None


def _is_file(path: Path) -> bool:
    """is_file() that says no, not raises, when the sidecar's name cannot exist: a
    250-byte movie name plus `.json` is longer than the file system allows."""
    try:
        return path.is_file()
    except OSError:
        return False


def find(movie: str | os.PathLike[str], extensions: Iterable[str]) -> list[str]:
    """Every sidecar file that describes `movie` (the tmdb rule's extra inputs, so a
    sidecar added or edited later makes the stage run again)."""
    movie = Path(movie)
    found = [movie_nfo(movie, extensions), tvshow_nfo(movie), json_sidecar(movie)]
    return [str(f) for f in found if f is not None]


# --- .nfo -----------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SidecarError(
            f"{path}: cannot read it ({exc.strerror}); fix its permissions"
        ) from None
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if raw.startswith(bom):
            return raw.decode(codec).lstrip("\ufeff")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _parse_nfo(path: Path) -> list[ET.Element]:
    """The document's top elements (<movie>, <tvshow>, <episodedetails>...).

    Kodi accepts an .nfo that is XML followed by a scraper URL, several
    <episodedetails> one after another (a multi-episode file), or only a URL; a plain
    XML parser refuses the first two, so the text is wrapped in one root first.
    """
    text = _read_text(path)
    body = _DECLARATION.sub("", text)
    if "<" not in body:
        return []  # a URL-only .nfo: ids only (see _ids_from_text)
    try:
        root = ET.fromstring(f"<nfo>{body}</nfo>")
    except ET.ParseError as exc:
        line, col = exc.position
        raise SidecarError(
            f"{path}: not a valid .nfo (XML error at line {line}, column {col}: "
            f"{str(exc).split(':')[0]}); fix or delete it"
        ) from None
    return list(root)


def _text(el: ET.Element | None, tag: str) -> str | None:
    if el is None:
        return None
    child = el.find(tag)
    if child is None or child.text is None:
        return None
    return " ".join(child.text.split()) or None


def _year(el: ET.Element) -> int | None:
    for tag in ("year", "premiered", "aired", "releasedate"):
        value = _text(el, tag)
        if value and re.match(r"^\d{4}", value):
            return int(value[:4])
    return None


def _ids(el: ET.Element) -> dict[str, Any]:
    """TMDB and IMDb ids from <uniqueid type=...>, <tmdbid>/<imdbid>, or an <id>."""
    ids: dict[str, Any] = {}
    for u in el.findall("uniqueid"):
        kind = (u.get("type") or "").lower()
        value = (u.text or "").strip()
        if kind == "tmdb" and value.isdigit():
            ids.setdefault("tmdb_id", int(value))
        elif kind == "imdb" and _IMDB_ID.fullmatch(value):
            ids.setdefault("imdb_id", value)
    tmdb = _text(el, "tmdbid")
    if tmdb and tmdb.isdigit():
        ids.setdefault("tmdb_id", int(tmdb))
    for tag in ("imdbid", "imdb_id", "id"):
        value = _text(el, tag)
        if value and _IMDB_ID.fullmatch(value):
            ids.setdefault("imdb_id", value)
    return ids


def _ids_from_text(text: str) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    m = _TMDB_URL.search(text)
    if m:
        ids["tmdb_id"] = int(m.group("id"))
    m = _IMDB_ID.search(text)
    if m:
        ids["imdb_id"] = m.group(1)
    return ids


def _cast(el: ET.Element) -> list[dict[str, Any]]:
    """<actor><name>/<role>/<order>: in billing order (Kodi's <order> or Jellyfin's
    <sortorder> when given, else the order of the file)."""
    cast = []
    for i, a in enumerate(el.findall("actor")):
        name = _text(a, "name")
        if not name:
            continue
        order = _text(a, "order") or _text(a, "sortorder")
        cast.append(
            {
                "name": name,
                "character": _text(a, "role") or "",
                "order": int(order) if order and order.isdigit() else i,
            }
        )
    cast.sort(key=lambda c: c["order"])
    return cast


def _crew(el: ET.Element) -> list[dict[str, str]]:
    crew = []
    for tag, job in (("director", "Director"), ("credits", "Writer"), ("writer", "Writer")):
        for c in el.findall(tag):
            name = " ".join((c.text or "").split())
            if name and {"name": name, "job": job} not in crew:
                crew.append({"name": name, "job": job})
    return crew


def _describe(el: ET.Element) -> dict[str, Any]:
    return {
        "title": _text(el, "title"),
        "original_title": _text(el, "originaltitle"),
        "year": _year(el),
        "overview": _text(el, "plot") or _text(el, "outline"),
        "cast": _cast(el),
        "crew": _crew(el),
        **_ids(el),
    }


def nfo_kind(path: Path) -> str | None:
    """What an .nfo describes, by its root element: "movie" (<movie>), "episode"
    (<episodedetails>), "tvshow" (<tvshow>), or None when it does not say (a URL-only
    .nfo says "movie" only when its link is a TMDB movie's).

    The media server that wrote it knew; the file name does not always say: guessit reads
    "The Printers (1470)" as season 14 episode 70, so the .nfo's word comes first.
    """
    tops = _parse_nfo(path)
    if not tops:  # a URL-only .nfo: a TMDB movie link says movie; nothing else is sure
        m = _TMDB_URL.search(_read_text(path))
        return "movie" if m and m.group("kind") == "movie" else None
    tags = [t.tag for t in tops]
    for tag, kind in (("movie", "movie"), ("episodedetails", "episode"), ("tvshow", "tvshow")):
        if tag in tags:
            return kind
    return None


def read_movie_nfo(path: Path) -> dict[str, Any]:
    """A Kodi/Jellyfin/Emby movie .nfo in the tmdb_data.json shape."""
    tops = _parse_nfo(path)
    if not tops:
        ids = _ids_from_text(_read_text(path))
        if not ids:
            raise SidecarError(f"{path}: neither XML nor a TMDB/IMDb link; fix or delete it")
        return {"cast": [], "crew": [], **ids}
    movie = next((t for t in tops if t.tag == "movie"), None)
    if movie is None:
        raise SidecarError(
            f"{path}: no <movie> element (found <{tops[0].tag}>); is it the right .nfo?"
        )
    return _describe(movie)


def read_episode_nfo(show_nfo: Path | None, episode_nfo: Path | None) -> dict[str, Any]:
    """tvshow.nfo (title, plot, regular cast, the show's ids) plus the episode's .nfo
    (its title, plot and its actors: the guest stars), in the tmdb_data.json shape."""
    data: dict[str, Any] = {"cast": [], "crew": []}
    if show_nfo is not None:
        show = next((t for t in _parse_nfo(show_nfo) if t.tag == "tvshow"), None)
        if show is None:
            raise SidecarError(f"{show_nfo}: no <tvshow> element; is it the right .nfo?")
        data.update(_describe(show))
    if episode_nfo is not None:
        eps = [t for t in _parse_nfo(episode_nfo) if t.tag == "episodedetails"]
        if not eps:
            raise SidecarError(f"{episode_nfo}: no <episodedetails> element; is it an episode?")
        known = {c["name"] for c in data["cast"]}
        episodes = []
        for ep in eps:
            season, number = _text(ep, "season"), _text(ep, "episode")
            episodes.append(
                {
                    "season": int(season) if season and season.isdigit() else None,
                    "episode": int(number) if number and number.isdigit() else None,
                    "title": _text(ep, "title"),
                    "overview": _text(ep, "plot"),
                }
            )
            for c in _cast(ep):
                if c["name"] not in known:
                    known.add(c["name"])
                    data["cast"].append({**c, "order": len(data["cast"]), "guest": True})
            for c in _crew(ep):
                if c not in data["crew"]:
                    data["crew"].append(c)
        data["episodes"] = episodes
        if show_nfo is None:  # no tvshow.nfo: the episode's <showtitle> names the show
            data["title"] = next(
                (_text(ep, "showtitle") for ep in eps if _text(ep, "showtitle")), None
            )
    return data


# --- .json ----------------------------------------------------------------------------


def read_json_sidecar(path: Path) -> dict[str, Any]:
    """`<movie name>.json` in the tmdb_data.json shape; checked, since a hand-written file
    with a wrong shape would otherwise pass bad names on to the stages after."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise SidecarError(f"{path}: not a JSON object (is it valid JSON?); fix or delete it")
    cast = data.get("cast", [])
    if not isinstance(cast, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"].strip() for c in cast
    ):
        raise SidecarError(
            f'{path}: "cast" must be a list of {{"name": ..., "character": ...}}; fix or delete it'
        )
    out: dict[str, Any] = {
        k: data.get(k)
        for k in ("title", "original_title", "year", "original_language", "overview")
        if data.get(k) is not None
    }
    for key in ("tmdb_id", "imdb_id"):
        if data.get(key) is not None:
            out[key] = data[key]
    out["cast"] = [
        {
            "name": c["name"].strip(),
            "character": str(c.get("character") or ""),
            "order": c["order"] if isinstance(c.get("order"), int) else i,
        }
        for i, c in enumerate(cast)
    ]
    out["cast"].sort(key=lambda c: c["order"])
    crew = data.get("crew", [])
    out["crew"] = [
        {"name": c["name"], "job": str(c.get("job") or "")}
        for c in (crew if isinstance(crew, list) else [])
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    ]
    return out


# --- what is beside one movie ---------------------------------------------------------


def _read_nfo(
    movie: Path, guess: ReleaseName, extensions: Iterable[str]
) -> tuple[str, dict[str, Any] | None, Path | None]:
    """(movie or episode, the .nfo data, its file). The .nfo's root element decides the
    kind; the file name's guess only when no .nfo beside the movie says (none, or a
    URL-only one). May raise SidecarError."""
    own = movie_nfo(movie, extensions)
    said = nfo_kind(own) if own is not None else None
    if said == "movie":
        return "movie", read_movie_nfo(own), own  # type: ignore[arg-type]
    kind = "episode" if said in ("episode", "tvshow") else guess.kind
    if kind == "movie":
        return "movie", (read_movie_nfo(own) if own is not None else None), own
    show = own if said == "tvshow" else tvshow_nfo(movie)
    episode = own if said == "episode" else None
    if show is None and episode is None:
        return "episode", None, None
    return "episode", read_episode_nfo(show, episode), episode or show


def beside(
    movie: Path, guess: ReleaseName, extensions: Iterable[str], notes: list[str]
) -> tuple[ReleaseName, dict[str, Any] | None, Path | None, dict[str, Any] | None, Path | None]:
    """(the name as the .nfo corrects it, nfo data, its file, json data, its file).

    An unreadable sidecar becomes a note (and is not used). An .nfo whose TMDB id differs
    from an id tag in the name ("[tmdbid-603]") describes another film (a copied or stale
    .nfo): its cast would be wrong names, so it is not used, nor does it correct the name.
    """
    kind, nfo, nfo_file = guess.kind, None, None
    try:
        kind, nfo, nfo_file = _read_nfo(movie, guess, extensions)
    except SidecarError as exc:
        notes.append(str(exc))
        kind = guess.kind
    js = None
    js_file = json_sidecar(movie)
    if js_file is not None:
        try:
            js = read_json_sidecar(js_file)
        except SidecarError as exc:
            notes.append(str(exc))
    if guess.tmdb_id is not None:
        for data, path in ((nfo, nfo_file), (js, js_file)):
            other = (data or {}).get("tmdb_id")
            if other is not None and str(other) != str(guess.tmdb_id):
                notes.append(
                    f"{path}: about tmdb id {other}, the name says {guess.tmdb_id}; not used"
                )
                if data is nfo:
                    nfo, kind = None, guess.kind
                else:
                    js = None
    name = guess.corrected(kind, nfo) if nfo is not None else guess
    return name, nfo, nfo_file, js, js_file
