"""notify: the media server asked to rescan a folder, against fake Jellyfin and Plex
servers on 127.0.0.1 (the whole workflow: tests/test_media_library.py)."""

from __future__ import annotations

import socket

from fake_media_server import JELLYFIN_TOKEN, PLEX_TOKEN, FakeJellyfin, FakePlex

from subsmith.harness import notify

ENV = {"JELLYFIN_TOKEN": JELLYFIN_TOKEN, "PLEX_TOKEN": PLEX_TOKEN}


def opts(jellyfin=None, plex=None, timeout=2.0):
    return notify.NotifyOptions(jellyfin_url=jellyfin, plex_url=plex, timeout_seconds=timeout)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_jellyfin_gets_the_folder_with_the_token_in_a_header(tmp_path):
    folder = tmp_path / "Movies" / 'Amélie "Le" (2001)'
    with FakeJellyfin() as jf:
        notes = notify.notify(opts(jellyfin=jf.url + "/"), folder, ENV)
    assert notes == [f"jellyfin: asked to rescan {folder.name}"]
    assert jf.refreshed() == [str(folder)]
    assert jf.requests[0]["body"] == {"Updates": [{"Path": str(folder), "UpdateType": "Modified"}]}
    assert jf.requests[0]["query"] == {}  # the token is in no URL


def test_emby_token_works_for_jellyfin(tmp_path):
    with FakeJellyfin() as jf:
        notify.notify(opts(jellyfin=jf.url), tmp_path, {"EMBY_TOKEN": JELLYFIN_TOKEN})
    assert jf.refreshed() == [str(tmp_path)]


def test_plex_scans_the_folder_in_the_section_that_holds_it(tmp_path):
    movies, folder = tmp_path / "Movies", tmp_path / "Movies" / "Heat (1995)"
    sections = {"1": [str(tmp_path / "Mov")], "2": [str(movies) + "/"], "3": ["/srv/TV"]}
    with FakePlex(sections) as px:
        notes = notify.notify(opts(plex=px.url), folder, ENV)
    assert notes == ["plex: asked to rescan Heat (1995)"]
    assert px.refreshed() == [("2", str(folder))]
    assert all(r["token"] == PLEX_TOKEN and "X-Plex-Token" not in r["query"] for r in px.requests)


def test_plex_without_a_section_for_the_folder_is_a_note(tmp_path):
    with FakePlex({"1": ["/srv/TV"]}) as px:
        notes = notify.notify(opts(plex=px.url), tmp_path, ENV)
    assert notes == [
        "plex: not told of the new subtitle (no Plex library section holds this folder); "
        "it shows at the next scan"
    ]
    assert px.refreshed() == []


def test_a_wrong_token_a_missing_token_and_no_server_are_notes(tmp_path):
    with FakeJellyfin() as jf:
        wrong = notify.notify(opts(jellyfin=jf.url), tmp_path, {"JELLYFIN_TOKEN": "nope"})
    assert wrong == [
        "jellyfin: not told of the new subtitle (HTTP 401 (check the token)); "
        "it shows at the next scan"
    ]
    assert notify.notify(opts(jellyfin="http://x", plex="http://y"), tmp_path, {}) == [
        "jellyfin: not told of the new subtitle: notify.jellyfin_url is set but "
        "JELLYFIN_TOKEN or EMBY_TOKEN is not in the environment",
        "plex: not told of the new subtitle: notify.plex_url is set but "
        "PLEX_TOKEN is not in the environment",
    ]
    (gone,) = notify.notify(opts(plex=closed_port_url()), tmp_path, ENV)
    assert gone.startswith("plex: not told of the new subtitle (cannot reach it")
    assert PLEX_TOKEN not in gone


def test_only_a_published_sidecar_is_announced(tmp_path, monkeypatch):
    monkeypatch.setenv("JELLYFIN_TOKEN", JELLYFIN_TOKEN)
    cfg = {"notify": {"jellyfin_url": None, "plex_url": None, "timeout_seconds": 1}}
    published = {"published": [{"path": str(tmp_path / "F.en.srt")}]}
    assert notify.after_publish(cfg, dict(published), tmp_path / "F.mkv") == []  # off
    with FakeJellyfin() as jf:
        cfg["notify"]["jellyfin_url"] = jf.url
        report = {"published": [], "notes": ["cannot write into ..."]}
        assert notify.after_publish(cfg, report, tmp_path / "F.mkv") == []
        assert "notify" not in report and jf.requests == []
        report = dict(published)
        notes = notify.after_publish(cfg, report, tmp_path / "F.mkv")
    assert notes == report["notify"] == [f"jellyfin: asked to rescan {tmp_path.name}"]


def test_an_unexpected_error_is_a_note_too(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError(f"bug holding {args[1]}")

    monkeypatch.setattr(
        notify, "SERVERS", (("jellyfin", "jellyfin_url", notify.JELLYFIN_TOKENS, broken),)
    )
    assert notify.notify(opts(jellyfin="http://x"), tmp_path, ENV) == [
        "jellyfin: not told of the new subtitle (RuntimeError: bug holding ***); "
        "it shows at the next scan"
    ]
