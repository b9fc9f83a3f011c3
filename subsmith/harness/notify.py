"""Tell the media server that a folder of its library has a new subtitle (config `notify:`).

After the mux stage put a sidecar beside a movie, one request per server asks it to look
at that folder again, so the subtitle shows without waiting for the next scheduled scan:

- Jellyfin / Emby: `POST /Library/Media/Updated` with `{"Updates": [{"Path": <folder>,
  "UpdateType": "Modified"}]}` (a refresh of that path only);
- Plex: `GET /library/sections/{id}/refresh?path=<folder>` (a partial scan), the section
  being the one whose location holds the folder (`GET /library/sections`).

The token comes from the environment only (JELLYFIN_TOKEN or EMBY_TOKEN, PLEX_TOKEN) and
goes in a header of a request made here, in Python: it is in no command line, log,
manifest or output. A server that cannot be reached, refuses or answers nonsense is a
note, never a failed movie: the subtitle is there, the server finds it at its next scan.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.settings import options

JELLYFIN_TOKENS = ("JELLYFIN_TOKEN", "EMBY_TOKEN")
PLEX_TOKENS = ("PLEX_TOKEN",)


@dataclass(frozen=True)
class NotifyOptions:
    """The `notify:` config section: which media servers hear of a published sidecar."""

    jellyfin_url: str | None  # e.g. http://localhost:8096 (Emby too); None: off
    plex_url: str | None  # e.g. http://localhost:32400; None: off
    timeout_seconds: float  # per request

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> NotifyOptions:
        return options(cls, cfg, "notify")


class NotifyError(Exception):
    """One line saying why a server was not told (never holding the token)."""


def _token(names: tuple[str, ...], env: Mapping[str, str]) -> str | None:
    return next((env[n] for n in names if env.get(n)), None)


def _request(
    url: str, token_header: str, token: str, timeout: float, data: bytes | None = None
) -> bytes:
    headers = {token_header: token, "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (the user's URL)
            return resp.read()
    except urllib.error.HTTPError as exc:
        reason = "check the token" if exc.code in (401, 403) else exc.reason
        raise NotifyError(f"HTTP {exc.code} ({reason})") from None
    except urllib.error.URLError as exc:
        raise NotifyError(
            f"cannot reach it ({getattr(exc.reason, 'strerror', None) or exc.reason})"
        ) from None
    except (OSError, ValueError) as exc:  # a timeout, a malformed URL
        raise NotifyError(str(exc) or type(exc).__name__) from None


def jellyfin(base: str, token: str, folder: str, timeout: float) -> None:
    body = json.dumps({"Updates": [{"Path": folder, "UpdateType": "Modified"}]}).encode()
    _request(base.rstrip("/") + "/Library/Media/Updated", "X-Emby-Token", token, timeout, body)


def _inside(folder: str, root: str) -> bool:
    root = root.rstrip("/\\")
    return bool(root) and (folder == root or folder.startswith(root + "/"))


def plex_section(base: str, token: str, folder: str, timeout: float) -> str:
    """The key of the Plex library section whose location holds `folder` (the deepest)."""
    raw = _request(base.rstrip("/") + "/library/sections", "X-Plex-Token", token, timeout)
    try:
        dirs = json.loads(raw)["MediaContainer"].get("Directory") or []
        found = [
            (len(loc["path"]), str(d["key"]))
            for d in dirs
            for loc in d.get("Location") or []
            if _inside(folder, loc["path"])
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise NotifyError("its list of library sections is not what Plex sends") from None
    if not found:
        raise NotifyError("no Plex library section holds this folder")
    return max(found)[1]


def plex(base: str, token: str, folder: str, timeout: float) -> None:
    section = plex_section(base, token, folder, timeout)
    query = urllib.parse.urlencode({"path": folder})
    url = f"{base.rstrip('/')}/library/sections/{urllib.parse.quote(section)}/refresh?{query}"
    _request(url, "X-Plex-Token", token, timeout)


SERVERS = (
    ("jellyfin", "jellyfin_url", JELLYFIN_TOKENS, jellyfin),
    ("plex", "plex_url", PLEX_TOKENS, plex),
)


def notify(
    opts: NotifyOptions, folder: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> list[str]:
    """Ask each configured server to rescan `folder`; one note per server, what happened."""
    env = os.environ if env is None else env
    folder = os.path.abspath(folder)
    notes = []
    for name, key, tokens, send in SERVERS:
        url = getattr(opts, key)
        if not url:
            continue
        token = _token(tokens, env)
        if token is None:
            notes.append(
                f"{name}: not told of the new subtitle: notify.{key} is set but "
                f"{' or '.join(tokens)} is not in the environment"
            )
            continue
        try:
            send(url, token, folder, float(opts.timeout_seconds))
        except Exception as exc:  # noqa: BLE001 - whatever it is, the movie is done
            why = str(exc) if isinstance(exc, NotifyError) else f"{type(exc).__name__}: {exc}"
            why = why.replace(token, "***")  # a server echoing it must not leak it
            notes.append(f"{name}: not told of the new subtitle ({why}); it shows at the next scan")
        else:
            notes.append(f"{name}: asked to rescan {Path(folder).name}")
    return notes


def after_publish(
    config: Mapping[str, Any], report: dict[str, Any], movie: str | os.PathLike[str]
) -> list[str]:
    """The mux stage's call: when a sidecar went beside `movie`, tell the servers about its
    folder; the notes go into `report` ("notify") and are returned."""
    if not report.get("published"):
        return []  # nothing new beside the movie (a user's file, a read-only folder)
    opts = NotifyOptions.from_config(config["notify"])
    if not (opts.jellyfin_url or opts.plex_url):
        return []
    report["notify"] = notify(opts, Path(movie).parent)
    return report["notify"]
