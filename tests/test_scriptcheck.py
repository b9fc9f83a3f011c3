"""Snakemake checks each rule's script once per DAG (subsmith/harness/scriptcheck.py), and a
missing script still stops the run before anything starts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import snakemake

from conftest import REPO, env, run_snakemake
from subsmith.harness import scriptcheck

# Runs the real Snakemake CLI in-process with get_source counted, the memo on or off.
HARNESS = textwrap.dedent(
    """
    import json, sys
    import snakemake.cli
    from snakemake import script
    from subsmith.harness import scriptcheck

    calls = []
    original = script.get_source

    def counted(path, *args, **kwargs):
        calls.append(str(path))
        return original(path, *args, **kwargs)

    script.get_source = counted
    installed = scriptcheck.install()
    report, sys.argv = sys.argv[1], ["snakemake", *sys.argv[2:]]
    try:
        snakemake.cli.main()
    finally:
        with open(report, "w") as f:
            json.dump({"installed": installed, "calls": calls}, f)
    """
)

WORKFLOW = textwrap.dedent(
    """
    rule all:
        input:
            expand("a/{i}.txt", i=range(4)),
            expand("b/{i}.txt", i=range(3)),

    rule a:
        output:
            "a/{i}.txt",
        script:
            "touch.py"

    rule b:
        output:
            "b/{i}.txt",
        params:
            name="touch",
        script:
            "{params.name}.py"
    """
)


def dry_run_checks(tmp_path: Path, **extra_env: str) -> dict:
    (tmp_path / "Snakefile").write_text(WORKFLOW, encoding="utf-8")
    (tmp_path / "touch.py").write_text("open(snakemake.output[0], 'w').close()\n")
    (tmp_path / "harness.py").write_text(HARNESS, encoding="utf-8")
    report = tmp_path / "checks.json"
    proc = subprocess.run(
        [sys.executable, "harness.py", str(report), "--cores", "1", "-n"],
        cwd=tmp_path,
        env={**env(), "PYTHONPATH": str(REPO), **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "total" in proc.stdout + proc.stderr
    return json.loads(report.read_text())


def test_the_pinned_snakemake_is_one_the_patch_was_read_against():
    """Bumping Snakemake means reading its ScriptProcessor again before adding the version."""
    assert snakemake.__version__ in scriptcheck.TESTED_VERSIONS


def test_a_fixed_script_path_is_checked_once_per_rule(tmp_path):
    got = dry_run_checks(tmp_path)
    assert got["installed"]
    # rule a: one check for its 4 jobs; rule b's path has {params.name}: one per job.
    assert got["calls"].count("touch.py") == 1
    assert got["calls"].count("{params.name}.py") == 3


def test_turned_off_snakemake_checks_every_job(tmp_path):
    got = dry_run_checks(tmp_path, SUBSMITH_CHECK_EVERY_SCRIPT="1")
    assert not got["installed"]
    assert got["calls"].count("touch.py") == 4
    assert got["calls"].count("{params.name}.py") == 3


def test_a_missing_stage_script_still_stops_the_dry_run(tmp_path):
    wf = tmp_path / "wf"
    for d in ("rules", "scripts", "envs", "profiles"):
        shutil.copytree(REPO / d, wf / d)
    for f in ("Snakefile", "config.yaml", "config.schema.yaml"):
        shutil.copy(REPO / f, wf / f)
    (wf / "scripts" / "asr.py").unlink()
    lib = tmp_path / "lib"
    (lib / "in").mkdir(parents=True)
    for name in ("One (2001)", "Two (2002)"):
        (lib / "in" / f"{name}.mkv").touch()
    cmd = [str(Path(sys.executable).parent / "snakemake"), "-s", str(wf / "Snakefile")]
    proc = subprocess.run(
        [*cmd, "--directory", str(lib), "--cores", "1", "-n"],
        cwd=lib,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "scripts/asr.py" in out, out[-2000:]
    assert "Job stats" not in out  # stopped before planning a single job
    # the shipped workflow, scripts all there, plans the same library
    ok = run_snakemake(lib, "-n")
    assert ok.returncode == 0, ok.stderr[-2000:]
