"""SIGTERM stops a run at once, as Ctrl-C does (issue 29).

systemd, cron wrappers, `timeout`, container stops and SLURM's scancel send SIGTERM,
not Ctrl-C; Snakemake's own answer was to wait for the running jobs to end, and
`timeout 120 snakemake` left Snakemake, the demux job, its watchdog and ffmpeg running
for twelve minutes. Each case sends SIGTERM at a random moment of one stage (held by
the `linger` fault hook, tests/fault_hooks: the stage does its real work, then starts a
process tree with a SIGTERM-ignoring child and a grandchild in its own session, and
hangs), to snakemake or, as scancel does, to the stage's job process. Within 10 s
nothing of the run is left (psutil: the tree at the signal, and every process whose
environment carries the run's marker), the stage is recorded `failed: interrupted (SIGTERM) ...`, and the next
run redoes exactly it.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
import test_faults
from test_faults import fault_env, gone, kill_group, wait_for

from conftest import read_manifest, run_snakemake, snakemake_cmd
from subsmith.harness import status, watchdog
from subsmith.harness.stages import BY_NAME, STAGE_NAMES

pytestmark = pytest.mark.e2e
# The kill -9 cases' movie (~2.5 s, one spoken line), made once per session.
clip, clip_movie = test_faults.clip, test_faults.clip_movie

# The critical stages that run by default (the speaker stages are off in the tests'
# runs, as in test_faults' kill -9 cases unless they are the stage under test).
CHAIN = ("demux", "silero_vad", "asr", "srt_generation", "mux")
SEED = int(os.environ.get("SUBSMITH_TEST_SEED", time.time_ns() % 10_000))


def rng(*case: str) -> random.Random:
    """Each case's own draws: a seed replays a case whichever others ran."""
    return random.Random(f"{SEED}-" + "-".join(case))


def marked(marker: str) -> list[psutil.Process]:
    """Every live process whose environment carries the run's marker: all that the run
    started, whatever their parent, group or session (an escaped grandchild included,
    even one started after any snapshot could see it)."""
    found = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.environ().get("SUBSMITH_TEST_RUN") == marker and not gone(p.pid):
                found.append(p)
        except psutil.Error:
            pass
    return found


def survivors(tree: list[psutil.Process], marker: str) -> list[str]:
    """What of the run is still running: the tree taken at the signal, and every
    process carrying the run's marker."""
    left = {p.pid: p for p in tree if not gone(p.pid)}
    left.update((p.pid, p) for p in marked(marker))
    found = []
    for p in left.values():
        try:
            ids = f"ppid {p.ppid()} pgid {os.getpgid(p.pid)} sid {os.getsid(p.pid)}"
            found.append(f"{p.pid} ({ids}) {' '.join(p.cmdline())[:120]}")
        except (psutil.Error, OSError):
            pass
    return found


def sigterm_during(tmp_path: Path, movie_file: Path, stage: str, to: str) -> None:
    """Run until `stage` is running, SIGTERM at a random moment, check the stop, rerun.

    `to`: "snakemake", "job" (the stage's job process alone), or "job tree" (the job
    and every process under it, its watchdog included: what scancel does)."""
    movie = "Stop Me"
    (tmp_path / "in").mkdir()
    shutil.copy(movie_file, tmp_path / "in" / f"{movie}.mkv")
    sf = tmp_path / "out" / movie / ".status" / f"{stage}.json"
    marker = uuid.uuid4().hex
    proc = subprocess.Popen(
        snakemake_cmd(tmp_path),
        cwd=tmp_path,
        env=fault_env(f"{stage}:linger", SUBSMITH_TEST_RUN=marker),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    job_pid = None
    try:
        wait_for(lambda: (status.read_status(sf) or {}).get("status") == "running", 180, stage)
        job_pid = status.read_status(sf)["pid"]
        delay = rng(stage, to).uniform(0.0, 1.5)
        time.sleep(delay)
        root = psutil.Process(proc.pid)
        tree = [root, *root.children(recursive=True)]
        if to == "snakemake":
            os.kill(proc.pid, signal.SIGTERM)
        elif to == "job":
            os.kill(job_pid, signal.SIGTERM)
        else:
            job = psutil.Process(job_pid)
            for p in [job, *job.children(recursive=True)]:
                try:
                    p.send_signal(signal.SIGTERM)
                except psutil.Error:
                    pass
        sent = time.monotonic()
        out, _ = proc.communicate(timeout=60)
        took = time.monotonic() - sent
        end = sent + 10
        while time.monotonic() < end and survivors(tree, marker):
            time.sleep(0.1)
        left = survivors(tree, marker)
        assert not left, f"seed {SEED}, {delay:.2f} s into {stage}, left: {left}"
        hook_tree = (status.read_status(sf) or {}).get("fault_tree") or []
        assert all(gone(p) for p in hook_tree), hook_tree
    finally:
        kill_group(proc.pid)
        kill_group(job_pid)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    where = f"seed {SEED}, SIGTERM {delay:.2f} s into {stage}, run ended {took:.1f} s later"
    assert proc.returncode != 0, where
    assert took < 10, where
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out[-3000:]
    said = f"{stage} failed: interrupted (SIGTERM)"
    log = (tmp_path / "out" / movie / "logs" / f"{stage}.log").read_text()
    if said in log:  # the job got to say it (not killed inside native code)
        assert f"subsmith {said}" in out, out[-3000:]
    steps = read_manifest(tmp_path, movie)["pipeline"]["steps"]
    assert steps[stage]["status"] == "failed", where
    assert steps[stage]["error"].startswith("interrupted (SIGTERM)"), steps[stage]
    assert not [s for s, v in steps.items() if v["status"] == "running"], where

    again = run_snakemake(tmp_path)  # no fault, no --unlock: the stopped run unlocked
    assert again.returncode == 0, again.stderr[-3000:]
    steps = read_manifest(tmp_path, movie)["pipeline"]["steps"]
    assert all(v["completed"] for v in steps.values())
    i = CHAIN.index(stage)
    assert [steps[s]["runs"] for s in CHAIN] == [1] * i + [2] + [1] * (len(CHAIN) - 1 - i)
    for s in set(STAGE_NAMES) - set(CHAIN):  # beside the chain: done once, or redone
        assert steps[s]["runs"] in (1, 2), s
    assert steps[stage]["previous"][-1]["error"].startswith("interrupted (SIGTERM)")


@pytest.mark.parametrize("stage", CHAIN)
def test_sigterm_to_snakemake_stops_the_running_stage_and_the_next_run_redoes_it(
    tmp_path, clip_movie, stage
):
    assert BY_NAME[stage].critical
    sigterm_during(tmp_path, clip_movie, stage, to="snakemake")


@pytest.mark.parametrize("to", ["job", "job tree"])
def test_sigterm_to_the_stage_job_as_a_scheduler_sends_it(tmp_path, clip_movie, to):
    """A SIGTERM for the job, not the main snakemake (`kill`, or SLURM's scancel, which
    signals every process of the job, its watchdog too): the job's whole tree stops
    (the stubborn child and the escaped grandchild included)."""
    sigterm_during(tmp_path, clip_movie, rng(to).choice(CHAIN), to=to)


NATIVE_JOB = """
import sys
from types import SimpleNamespace
from subsmith.harness.job import run_stage

d = sys.argv[1]
log = SimpleNamespace(log=d + "/logs/x.log", status=d + "/.status/x.json")
smk = SimpleNamespace(
    input=[], output=[d + "/out/x.json"], log=log,
    params=SimpleNamespace(timeout=120.0), threads=1, config={}, wildcards={"movie": "M"},
)
# builtin sum over a range is one C loop: Python runs no signal handler until it ends
run_stage(smk, "x", lambda ctx: sum(range(10**13)))
"""


def test_sigterm_to_a_job_stuck_in_native_code_is_handled_by_its_watchdog(tmp_path):
    """The job's Python handler cannot run during a long native call (a model's decode):
    the signal reaches the watchdog through the job's wakeup pipe, which stops and
    records it (TERM, KILL after 3 s) long before the stage's 120 s timeout."""
    sf = tmp_path / ".status" / "x.json"
    job = subprocess.Popen([sys.executable, "-c", NATIVE_JOB, str(tmp_path)], env=fault_env())
    try:
        wait_for(lambda: (status.read_status(sf) or {}).get("status") == "running", 60, "x")
        time.sleep(0.5)  # inside the loop
        job.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        job.wait(timeout=30)
        took = time.monotonic() - t0
    finally:
        kill_group(job.pid)
        if job.poll() is None:
            job.kill()
            job.wait()
    assert took < 8, f"{took:.1f} s"
    wait_for(lambda: (status.read_status(sf) or {}).get("status") == "failed", 5, "the record")
    st = status.read_status(sf)
    assert st["error"] == watchdog.TERMINATED and st["interrupted"]
