import json
import re
from pathlib import Path

import pytest

from conftest import run_snakemake
from subsmith.harness import manifest, status
from subsmith.harness.stages import STAGE_NAMES


def _movie(tmp_path: Path) -> Path:
    d = tmp_path / "out" / "Film (2001)"
    d.mkdir(parents=True)
    return d


def _done(d: Path, stage: str, outcome: str = status.SUCCESS, error: str | None = None) -> None:
    p = status.status_path(d, stage)
    status.start(p, stage, inputs=[f"in/{d.name}.mkv"], timeout=10)
    status.finish(p, outcome, duration=1.5, notes=f"{stage} notes", error=error)


def test_fresh_movie_is_pending_everywhere(tmp_path):
    d = _movie(tmp_path)
    m = manifest.render(d)
    assert m["pipeline"]["status"] == "running"
    assert m["pipeline"]["completed_stages"] == []
    assert m["pipeline"]["next_stage"] == "demux"
    assert list(m["pipeline"]["steps"]) == list(STAGE_NAMES)
    assert all(s["status"] == "pending" for s in m["pipeline"]["steps"].values())
    assert manifest.render(d, manifest.FINISHED)["pipeline"]["status"] == "incomplete"


def test_partial_then_completed(tmp_path):
    d = _movie(tmp_path)
    before = STAGE_NAMES[: STAGE_NAMES.index("silero_vad")]  # demux and the optional ones
    for stage in before:
        _done(d, stage)
    status.start(status.status_path(d, "silero_vad"), "silero_vad", inputs=[], timeout=None)
    m = manifest.render(d)
    assert m["input"] == {
        "path": "in/Film (2001).mkv",
        "title": "Film",
        "year": 2001,
        "duration": None,
    }
    assert m["pipeline"]["completed_stages"] == list(before)
    assert m["pipeline"]["current_stage"] == "silero_vad"
    assert m["pipeline"]["next_stage"] == "silero_vad"
    step = m["pipeline"]["steps"]["demux"]
    assert step["status"] == "success" and step["completed"] and step["duration"] == 1.5
    assert step["next_stage"] == STAGE_NAMES[1] and step["notes"] == "demux notes"
    for stage in STAGE_NAMES[len(before) :]:
        _done(d, stage)
    m = manifest.render(d)
    assert m["pipeline"]["status"] == "completed"
    assert m["pipeline"]["next_stage"] is None
    assert m["pipeline"]["steps"]["mux"]["next_stage"] is None
    assert m["pipeline"]["finished_at"] is not None


def test_failed_critical_stage_fails_the_movie(tmp_path):
    d = _movie(tmp_path)
    _done(d, "demux", status.FAILED, error="in/x.mkv: the file is empty")
    m = manifest.write(d)
    assert m["pipeline"]["status"] == "failed"
    assert m["pipeline"]["steps"]["demux"]["error"] == "in/x.mkv: the file is empty"
    assert json.loads((d / "manifest.json").read_text()) == m


def test_a_killed_run_leaves_no_stage_running(tmp_path):
    d = _movie(tmp_path)
    _done(d, "demux")
    status.start(status.status_path(d, "silero_vad"), "silero_vad", inputs=[], timeout=None)
    # Rendered after the run ended: the stage was interrupted.
    m = manifest.render(d, manifest.FINISHED)
    assert m["pipeline"]["steps"]["silero_vad"]["status"] == "failed"
    assert "interrupted" in m["pipeline"]["steps"]["silero_vad"]["error"]
    # At the next start the stale status file itself is closed, then the rerun shows history.
    assert manifest.close_interrupted(d) == ["silero_vad"]
    assert manifest.close_interrupted(d) == []
    manifest.write(d)
    # Snakemake deletes the job's log files (the status file) before it reruns.
    status.status_path(d, "silero_vad").unlink()
    assert manifest.write(d)["pipeline"]["steps"]["silero_vad"]["runs"] == 1
    _done(d, "silero_vad")
    assert manifest.write(d) == manifest.write(d)  # idempotent
    step = manifest.render(d)["pipeline"]["steps"]["silero_vad"]
    assert step["status"] == "success" and step["runs"] == 2
    assert step["previous"][0]["status"] == "failed"
    assert "interrupted" in step["previous"][0]["error"]
    assert manifest.render(d)["pipeline"]["steps"]["demux"]["runs"] == 1


def test_movie_dirs_only_lists_movies_that_ran(tmp_path):
    d = _movie(tmp_path)
    (tmp_path / "out" / "empty").mkdir()
    assert manifest.movie_dirs(tmp_path / "out") == []
    _done(d, "demux")
    assert manifest.movie_dirs(tmp_path / "out") == [d]


@pytest.fixture(scope="module")
def rule_files(tmp_path_factory) -> dict[str, tuple[list[str], list[str]]]:
    """Each stage's inputs and outputs for one movie, as the real workflow's dry run
    lists them (paths relative to its work folder)."""
    work = tmp_path_factory.mktemp("dry")
    (work / "in").mkdir()
    (work / "in" / "Film (2001).mkv").write_bytes(b"")  # a dry run reads no movie
    proc = run_snakemake(work, "--dry-run")
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = {}
    for rule, body in re.findall(r"^rule (\w+):\n((?:    .*\n)+)", proc.stdout, re.M):
        fields = dict(re.findall(r"^    (\w+): (.*)$", body, re.M))
        files[rule] = tuple(
            fields.get(k, "").split(", ") if k in fields else [] for k in ("input", "output")
        )
    assert set(STAGE_NAMES) <= set(files), proc.stdout[-2000:]
    return files


def run_order(files) -> list[str]:
    """The stages in an order the workflow can run them: each after the stages whose
    files it reads (tmdb comes before demux, which reads the original language)."""
    writer = {f: stage for stage, (_, outs) in files.items() for f in outs}
    order: list[str] = []

    def visit(stage: str) -> None:
        if stage in order:
            return
        for f in files[stage][0]:
            if f in writer and writer[f] != stage:
                visit(writer[f])
        order.append(stage)

    for stage in STAGE_NAMES:
        visit(stage)
    return order


def _run(work: Path, files, stage: str, outcome: str | None = status.SUCCESS) -> None:
    """The stage's job as run_stage records it: started with its real files, then done."""
    d = work / "out" / "Film (2001)"
    inputs, outputs = files[stage]
    p = status.status_path(d, stage)
    status.start(
        p,
        stage,
        inputs=[str(work / f) for f in inputs],
        outputs=[str(work / f) for f in outputs],
        timeout=None,
    )
    if outcome:
        status.finish(p, outcome, duration=1.0)


def test_stages_after_one_being_redone_are_outdated(tmp_path, rule_files):
    d = tmp_path / "out" / "Film (2001)"
    for stage in run_order(rule_files):
        _run(tmp_path, rule_files, stage)
    _run(tmp_path, rule_files, "asr", outcome=None)  # asr is being redone
    p = manifest.render(d)["pipeline"]
    assert p["completed_stages"] == list(STAGE_NAMES[: STAGE_NAMES.index("asr")])
    assert p["next_stage"] == "asr"
    for stage in ("post_ner", "srt_generation", "mux"):  # each reads what asr writes
        assert p["steps"][stage]["status"] == "success"
        assert p["steps"][stage]["completed"] is False and p["steps"][stage]["outdated"]
    assert p["status"] == "running"
    # asr done again: the stages after it stay outdated until they run again themselves.
    status.finish(status.status_path(d, "asr"), status.SUCCESS, duration=1.0)
    p = manifest.render(d)["pipeline"]
    assert p["completed_stages"] == list(STAGE_NAMES[: STAGE_NAMES.index("post_ner")])
    assert p["steps"]["mux"]["outdated"] and p["next_stage"] == "post_ner"
    for stage in ("post_ner", "srt_generation", "mux"):
        _run(tmp_path, rule_files, stage)
    assert manifest.render(d)["pipeline"]["status"] == "completed"


def test_a_queued_stage_beside_the_chain_leaves_the_others_completed(tmp_path, rule_files):
    """pre_ner waits for a core while diarization holds both: silero_vad and pyannote_vad,
    done, read nothing of pre_ner's, so they are completed, not outdated."""
    d = tmp_path / "out" / "Film (2001)"
    for stage in ("tmdb", "demux", "silero_vad", "pyannote_vad"):
        _run(tmp_path, rule_files, stage)
    _run(tmp_path, rule_files, "diarization", outcome=None)
    p = manifest.render(d)["pipeline"]
    assert p["completed_stages"] == ["demux", "tmdb", "silero_vad", "pyannote_vad"]
    assert p["next_stage"] == "pre_ner" and p["current_stage"] == "diarization"
    assert not any(step.get("outdated") for step in p["steps"].values())
    # tmdb, done before demux (which reads its original language): it reads only the movie.
    (d / ".status" / "demux.json").unlink()
    p = manifest.render(d)["pipeline"]
    assert p["steps"]["tmdb"]["completed"] and p["next_stage"] == "demux"
    # silero_vad read demux's audio, whose record is gone (Snakemake clears it for a rerun).
    assert p["steps"]["silero_vad"]["outdated"] and p["steps"]["pyannote_vad"]["outdated"]
    # pre_ner redone and interrupted: asr and everything after read its names, directly or not.
    for stage in run_order(rule_files):
        _run(tmp_path, rule_files, stage)
    _run(tmp_path, rule_files, "pre_ner", outcome=status.FAILED)
    p = manifest.render(d, manifest.FINISHED)["pipeline"]
    # sound_events reads the audio and Silero's regions only, not pre_ner's names.
    assert p["completed_stages"] == [
        "demux",
        "tmdb",
        "silero_vad",
        "sound_events",
        "pyannote_vad",
        "diarization",
    ]
    assert p["status"] == "incomplete"


def test_status_files_without_their_files_keep_the_table_order(tmp_path):
    """Status files written before they named the job's files (an older subsmith): a stage
    after an open one in table order counts as outdated, as it always did."""
    d = _movie(tmp_path)
    for stage in STAGE_NAMES:
        _done(d, stage)
        data = status.read_status(status.status_path(d, stage))
        del data["reads"], data["writes"]
        status.status_path(d, stage).write_text(json.dumps(data))
    status.status_path(d, "pre_ner").unlink()
    p = manifest.render(d)["pipeline"]
    assert p["completed_stages"] == ["demux", "tmdb"]
    assert p["steps"]["silero_vad"]["outdated"]


def test_title_and_year_from_the_tmdb_stage_parse(tmp_path):
    d = tmp_path / "out" / "The Matrix (1999) {edition-Final Cut} [tmdbid-603]"
    d.mkdir(parents=True)
    assert manifest.render(d)["input"]["year"] is None  # the plain pattern cannot read it
    (d / "metadata").mkdir()
    (d / "metadata" / "tmdb_data.json").write_text(
        json.dumps({"status": "skipped", "query": {"title": "The Matrix", "year": 1999}})
    )
    assert manifest.render(d)["input"]["title"] == "The Matrix"
    assert manifest.render(d)["input"]["year"] == 1999
    (d / "metadata" / "tmdb_data.json").write_text("[1, 2]")  # not ours: ignored
    assert manifest.render(d)["input"]["year"] is None


def test_every_started_job_of_a_movie_shows_running(tmp_path):
    """demux and tmdb start together: a render for one must not show the other pending."""
    d = _movie(tmp_path)
    steps = manifest.render(d, starting={"demux", "tmdb"})["pipeline"]["steps"]
    assert steps["demux"]["status"] == steps["tmdb"]["status"] == "running"
    assert steps["silero_vad"]["status"] == "pending"
    assert manifest.render(d, starting="tmdb")["pipeline"]["steps"]["demux"]["status"] == "pending"


def test_a_stage_beside_the_movie_never_holds_it_back(tmp_path):
    """The report (stages.py: beside=True) is no step on the movie's way: the movie is
    completed without it (final.mkv asked for alone), and a report interrupted or skipped
    changes nothing."""
    d = _movie(tmp_path)
    for stage in STAGE_NAMES:
        if stage != "report":
            _done(d, stage)
    m = manifest.render(d, manifest.FINISHED)
    assert m["pipeline"]["status"] == "completed" and m["pipeline"]["next_stage"] is None
    assert m["pipeline"]["steps"]["report"]["status"] == "pending"
    status.start(status.status_path(d, "report"), "report", inputs=[], timeout=None)
    m = manifest.render(d, manifest.FINISHED)  # the run died while the report ran
    assert m["pipeline"]["steps"]["report"]["status"] == "failed"
    assert m["pipeline"]["status"] == "completed"


def test_the_next_run_sweeps_only_the_temp_files_of_dead_writers(tmp_path):
    """write_json_atomic's temp file outlives a writer killed mid-write; the next run's
    onstart removes it (jsonio.sweep_stale_temps), never a live writer's or a stranger's."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from subsmith.core import jsonio

    d = _movie(tmp_path)
    (d / ".status").mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    host = socket.gethostname()
    old = time.time() - 2 * jsonio.STALE_SECONDS
    files = {
        f".status/.tmp-{dead}@{host}-k1ll3d_0.json": ("now", True),  # its writer is gone
        f".tmp-{os.getpid()}@{host}-l1ve0000.json": ("now", False),  # a live writer
        f".tmp-{dead}@another-node-n0de0000.json": ("now", False),  # cannot tell: recent
        f".tmp-{dead}@another-node-n0de1111.json": ("old", True),
        ".tmp-abc123de.json": ("now", False),  # an older subsmith's name: by age
        ".tmp-abc123df.json": ("old", True),
        ".tmp-notes.txt": ("old", False),  # not ours
        "asr/.tmp-user.json.bak": ("old", False),
    }
    for name, (age, _) in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{")
        if age == "old":
            os.utime(p, (old, old))
    removed = jsonio.sweep_stale_temps(d)
    assert sorted(p.relative_to(d).as_posix() for p in removed) == sorted(
        n for n, (_, gone) in files.items() if gone
    )
    for name, (_, gone) in files.items():
        assert (d / name).exists() != gone, name
    # and the writer's own names are what the sweep knows
    jsonio.write_json_atomic(d / "x.json", {"a": 1})
    assert json.loads((d / "x.json").read_text()) == {"a": 1}
