"""Fake Jellyfin and Plex servers on 127.0.0.1 for the tests: real HTTP, the two calls
subsmith makes (Jellyfin's POST /Library/Media/Updated, Plex's GET /library/sections and
GET /library/sections/{id}/refresh?path=...), the token checked like the real ones (401
without it). Every request is recorded: method, path, query, token header, JSON body."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JELLYFIN_TOKEN = "jf-t0ken-5f4dcc3b5aa765d61d8327deb882cf99"
PLEX_TOKEN = "plx-t0ken-9e107d9d372bb6826bd81d3542a419d6"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, code: int, body: Any = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        token = self.headers.get(fake.token_header)
        with fake.lock:
            fake.requests.append(
                {
                    "method": method,
                    "path": url.path,
                    "query": dict(urllib.parse.parse_qsl(url.query)),
                    "token": token,
                    "body": json.loads(raw) if raw else None,
                }
            )
        if token != fake.token:
            self._answer(401, {"error": "Unauthorized"})
            return
        code, body = fake.answer(method, url.path)
        self._answer(code, body)

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")


class _Server(ThreadingHTTPServer):
    fake: FakeServer


class FakeServer:
    token_header = ""
    token = ""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        raise NotImplementedError

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeJellyfin(FakeServer):
    token_header = "X-Emby-Token"
    token = JELLYFIN_TOKEN

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        if method == "POST" and path == "/Library/Media/Updated":
            return 204, None
        return 404, None

    def refreshed(self) -> list[str]:
        """The folders Jellyfin was told of, one entry per update, in order."""
        return [
            u["Path"]
            for r in self.requests
            if r["path"] == "/Library/Media/Updated" and r["token"] == self.token
            for u in r["body"]["Updates"]
        ]


class FakePlex(FakeServer):
    token_header = "X-Plex-Token"
    token = PLEX_TOKEN

    def __init__(self, sections: dict[str, list[str]]) -> None:
        """`sections`: {key: [location paths]}, as Plex lists its library sections."""
        super().__init__()
        self.sections = sections

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        if method == "GET" and path == "/library/sections":
            dirs = [
                {
                    "key": key,
                    "type": "movie",
                    "title": f"Section {key}",
                    "Location": [{"id": i, "path": p} for i, p in enumerate(paths)],
                }
                for key, paths in self.sections.items()
            ]
            return 200, {"MediaContainer": {"size": len(dirs), "Directory": dirs}}
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 4 and parts[:2] == ["library", "sections"]:
            if parts[2] in self.sections and parts[3] == "refresh":
                return 200, None
        return 404, None

    def refreshed(self) -> list[tuple[str, str]]:
        """(section, folder) of each partial scan asked for, in order."""
        return [
            (r["path"].split("/")[3], r["query"].get("path", ""))
            for r in self.requests
            if r["path"].endswith("/refresh") and r["token"] == self.token
        ]
