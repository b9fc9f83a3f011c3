"""The tmdb stage inside the real workflow: a key in the environment, a fake TMDB on
127.0.0.1, and the key and token searched for everywhere the run leaves anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fake_tmdb import KEY, TOKEN, FakeTmdb

from conftest import env, ps_watched, read_manifest, snakemake_cmd
from subsmith import demo
from subsmith.core.jsonio import read_json

pytestmark = pytest.mark.e2e

MOVIE = "The Matrix (1999) [tmdbid-603]"
BAD_KEY = "bAd-KeY-11111111111111111111111111111111"
SECRETS = (KEY, TOKEN, BAD_KEY)


def _leaks(work: Path) -> list[str]:
    """Files under the work dir (out/, the cache, logs, .snakemake/) holding a secret."""
    leaks = []
    for path in work.rglob("*"):
        if path.is_file() and path.name != "tmdb.yaml":
            data = path.read_bytes()
            leaks += [f"{path}: {s[:6]}..." for s in SECRETS if s.encode() in data]
    return leaks


def _run(work: Path, secrets: dict[str, str], seen: dict, *args: str):
    """One snakemake run, `ps` watched; the files are searched after it (a rerun of a job
    deletes its old log, so searching only at the end would miss the first runs)."""
    with ps_watched(SECRETS, seen):
        proc = subprocess.run(
            snakemake_cmd(work, *args, "--configfile", str(work / "tmdb.yaml")),
            cwd=work,
            env={**env(), **secrets},
            capture_output=True,
            text=True,
            timeout=600,
        )
    seen["leaks"] += _leaks(work)
    seen["terminal"].append(proc.stdout + proc.stderr)
    return proc


def test_key_in_the_environment_reaches_tmdb_and_nowhere_else(tmp_path, short_dialogue):
    audio, _ = short_dialogue
    demo.make_movie(tmp_path / "in" / f"{MOVIE}.mkv", [{"audio": audio}])
    seen = {"samples": 0, "snakemake": 0, "hits": [], "leaks": [], "terminal": []}
    data_file = tmp_path / "out" / MOVIE / "metadata" / "tmdb_data.json"
    with FakeTmdb() as fake:
        (tmp_path / "tmdb.yaml").write_text(f"tmdb:\n  api_url: {fake.url}\n")

        # 1. The API key (a query parameter): the whole movie, the cast from TMDB.
        proc = _run(tmp_path, {"TMDB_API_KEY": KEY}, seen)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert [(r["path"], r["query"].get("api_key")) for r in fake.requests] == [
            ("/movie/603", KEY)
        ]
        m = read_manifest(tmp_path, MOVIE)
        assert m["pipeline"]["status"] == "completed"
        assert m["input"]["title"] == "The Matrix" and m["input"]["year"] == 1999
        step = m["pipeline"]["steps"]["tmdb"]
        assert step["status"] == "success"
        assert step["notes"] == "tmdb id 603, 4 cast (id from the name)"
        data = read_json(data_file)
        assert data["source"] == "tmdb" and data["cast"][0]["name"] == "Keanu Reeves"
        assert list((tmp_path / ".cache" / "tmdb").rglob("*.json"))  # the default cache

        # 2. The read token (a bearer header), the cache too old: asked again.
        (tmp_path / "tmdb.yaml").write_text(
            f"tmdb:\n  api_url: {fake.url}\n  cache_max_age_days: 0\n"
        )
        data_file.unlink()
        proc = _run(
            tmp_path, {"TMDB_READ_TOKEN": TOKEN}, seen, str(data_file.relative_to(tmp_path))
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert fake.requests[-1]["auth"] == f"Bearer {TOKEN}"
        assert read_json(data_file)["source"] == "tmdb"

        # 3. A bad key: one line in the manifest, the stage skipped, nothing failed.
        data_file.unlink()
        asked = len(fake.requests)
        proc = _run(tmp_path, {"TMDB_API_KEY": BAD_KEY}, seen, str(data_file.relative_to(tmp_path)))
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert len(fake.requests) == asked + 1
    m = read_manifest(tmp_path, MOVIE)
    # Not failed: tmdb is skipped and the stages that read the cast wait to be redone
    # with the new (empty) cast list, so the movie reads incomplete until the next run.
    assert m["pipeline"]["status"] == "incomplete"
    assert not any(s["status"] == "failed" for s in m["pipeline"]["steps"].values())
    step = m["pipeline"]["steps"]["tmdb"]
    assert step["status"] == "skipped" and step["runs"] == 3
    assert step["notes"] == (
        "skipped: TMDB refused the key (HTTP 401: Invalid API key: You must be granted a "
        "valid key.); check TMDB_API_KEY or TMDB_READ_TOKEN, no .nfo or .json beside the movie"
    )
    data = read_json(data_file)
    assert data["status"] == "skipped" and data["source"] == "none" and data["cast"] == []
    assert data["query"]["tmdb_id"] == 603
    assert (tmp_path / "out" / MOVIE / "final.mkv").exists()

    # Nowhere: not in any file the runs left (out/, the cache, logs, .snakemake/),
    # not on the terminal, not in any process's command line.
    assert seen["samples"] > 10 and seen["snakemake"] > 0, seen
    assert seen["hits"] == []
    assert seen["leaks"] == []
    assert (tmp_path / "out" / MOVIE / "logs" / "tmdb.log").read_text().count("tmdb:") >= 1
    assert not any(s in t for s in SECRETS for t in seen["terminal"])
