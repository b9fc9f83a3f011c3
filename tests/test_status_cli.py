"""`subsmith status`: which folder it reads, and running told from queued."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from subsmith import cli
from subsmith.harness import manifest, status
from subsmith.subtitles import publish


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


def test_a_deleted_language_named_sidecar_is_reported_with_the_fix(tmp_path, capsys):
    """language: auto: mux publishes <movie>.<language>.srt, which is no Snakemake target
    (its name is known only after asr), so a deleted one does not come back by itself."""
    out = tmp_path / "out"
    for name, srt in (("Film", "1\n00:00:01,000 --> 00:00:02,000\nHallo.\n"), ("Score", "")):
        d = out / name
        for stage in cli.STAGE_NAMES:
            _stage(d, stage, status.SUCCESS)
        (d / "asr").mkdir()
        (d / "asr" / "transcript.json").write_text(json.dumps({"language": "de"}))
        (d / "subtitles").mkdir()
        (d / "subtitles" / f"{name}.srt").write_text(srt)  # empty: no speech, none published
        (d / "subtitles" / f"{name}.vtt").write_text(srt and f"WEBVTT\n\n{srt}")
        (d / "final.mkv").write_bytes(b"")
        publish.publish({"srt": str(d / "subtitles" / f"{name}.srt")}, d, "de")
        manifest.write(d, manifest.FINISHED)
    # Published by mux: Film.de.srt. Film.de.vtt never was (say, vtt was added to the
    # formats after the run): both the same case for the user.
    assert [p.name for p in publish.missing(out / "Film")] == ["Film.de.vtt"]
    (out / "Film" / "Film.de.srt").unlink()
    assert publish.missing(out / "Score") == []
    capsys.readouterr()
    assert cli.main(["status", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        f"Film: Film.de.srt, Film.de.vtt missing: copy it from subtitles/, or run "
        f'snakemake --cores 1 "{out.as_posix()}/Film/final.mkv" --forcerun mux'
    ) in printed
    assert "Score:" not in printed
    publish.publish(
        {f: str(out / "Film" / "subtitles" / f"Film.{f}") for f in ("srt", "vtt")},
        out / "Film",
        "de",
    )
    capsys.readouterr()
    cli.main(["status", str(out)])
    assert "Film:" not in capsys.readouterr().out
