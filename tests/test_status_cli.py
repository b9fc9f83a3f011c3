"""`subsmith status`: which folder it reads, and running told from queued."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from subsmith import cli, manifest, status


def _stage(movie: Path, stage: str, state: str, pid: int | None = None) -> None:
    p = status.status_path(movie, stage)
    status.start(p, stage, inputs=[f"in/{movie.name}.mkv"], timeout=60)
    if state == status.RUNNING:
        if pid is not None:
            status.update(p, pid=pid)
    else:
        status.finish(p, state, duration=1.0)


def rows(capsys, *argv: str) -> dict[str, str]:
    capsys.readouterr()
    cli.main(["status", "--json", *argv])
    return {r["movie"]: r["status"] for r in json.loads(capsys.readouterr().out)}


def test_running_queued_and_dead_jobs_are_told_apart(tmp_path, capsys):
    out = tmp_path / "out"
    _stage(out / "Busy", "demux", status.SUCCESS)
    _stage(out / "Busy", "silero_vad", status.RUNNING, pid=os.getpid())  # alive, here
    _stage(out / "Show/Season 1/Waiting", "demux", status.SUCCESS)  # its next job waits
    dead = subprocess.Popen(["true"])
    dead.wait()
    _stage(out / "Killed", "demux", status.RUNNING, pid=dead.pid)  # kill -9 of the run
    for d in manifest.movie_dirs(out):
        manifest.write(d, manifest.LIVE)
    assert rows(capsys, str(out)) == {
        "Busy": "running",
        "Show/Season 1/Waiting": "queued",
        "Killed": "failed",
    }
    capsys.readouterr()
    assert cli.main(["status", str(out)]) == 1
    assert f"Killed: demux failed: {status.INTERRUPTED}" in capsys.readouterr().out


def test_the_output_folder_comes_from_the_config_as_snakemake_reads_it(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    for name in ("default", "from_file", "from_flag", "given"):
        _stage(tmp_path / name / f"Movie {name}", "demux", status.SUCCESS)
    (tmp_path / "config.yaml").write_text("output_dir: default\nlanguage: en\n")
    (tmp_path / "mine.yaml").write_text("output_dir: from_file\n")
    assert list(rows(capsys)) == ["Movie default"]
    assert list(rows(capsys, "--configfile", "mine.yaml")) == ["Movie from_file"]
    assert list(rows(capsys, "--configfile", "mine.yaml", "--config", "output_dir=from_flag")) == [
        "Movie from_flag"
    ]
    assert list(rows(capsys, "given", "--config", "output_dir=from_flag")) == ["Movie given"]
    (tmp_path / "config.yaml").unlink()
    assert cli.main(["status"]) == 0  # no config at all: out/, which is empty
    assert "no movies under out/ yet" in capsys.readouterr().out
