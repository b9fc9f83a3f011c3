"""run_stage: the behaviour every stage shares, run in a real subprocess (it owns fds and exit)."""

import json
import subprocess
import sys
import textwrap

import pytest

JOB = textwrap.dedent(
    """
    import sys, time
    from types import SimpleNamespace
    from subsmith.harness.job import run_stage
    from subsmith.core.errors import StageError

    d = sys.argv[1]
    mode = sys.argv[2]
    critical = sys.argv[3] == "critical"
    log = SimpleNamespace(log=d + "/logs/x.log", status=d + "/.status/x.json")
    smk = SimpleNamespace(
        input=[], output=[d + "/out/result.json"], log=log,
        params=SimpleNamespace(timeout=float(sys.argv[4])), threads=1, config={},
        wildcards={"movie": "M"},
    )

    def body(ctx):
        ctx.progress(0.5, "half way", force=True)
        if mode == "ok":
            open(ctx.output[0], "w").write("{}")
        elif mode == "error":
            raise StageError("in/M.mkv: broken; re-rip it")
        elif mode == "crash":
            raise ZeroDivisionError("division by zero")
        elif mode == "hang":
            time.sleep(60)

    import os
    os.makedirs(d + "/out", exist_ok=True)
    run_stage(smk, "x", body, critical=critical)
    """
)


def run_job(tmp_path, mode, critical=True, timeout=30.0):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            JOB,
            str(tmp_path),
            mode,
            "critical" if critical else "optional",
            str(timeout),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    st = json.loads((tmp_path / ".status" / "x.json").read_text())
    log = (tmp_path / "logs" / "x.log").read_text()
    return proc, st, log


def test_success_records_duration_and_progress(tmp_path):
    proc, st, log = run_job(tmp_path, "ok")
    assert proc.returncode == 0
    assert st["status"] == "success" and st["duration"] >= 0 and st["progress"] == 1.0
    assert "x:  50% half way" in log


def test_critical_failure_is_one_line_and_exit_1(tmp_path):
    proc, st, log = run_job(tmp_path, "error")
    assert proc.returncode == 1
    assert st["status"] == "failed" and st["error"] == "in/M.mkv: broken; re-rip it"
    assert proc.stderr.strip() == "subsmith x failed: in/M.mkv: broken; re-rip it"
    assert "Traceback" not in log


def test_unexpected_crash_keeps_the_traceback_in_the_log(tmp_path):
    proc, st, log = run_job(tmp_path, "crash")
    assert proc.returncode == 1
    assert st["error"] == "ZeroDivisionError: division by zero"
    assert "Traceback" in log


@pytest.mark.parametrize("mode", ["error", "crash"])
def test_optional_failure_is_skipped_with_placeholder_output(tmp_path, mode):
    proc, st, _ = run_job(tmp_path, mode, critical=False)
    assert proc.returncode == 0
    assert st["status"] == "skipped" and st["error"] is None
    assert "skipped (optional stage failed)" in st["notes"]
    placeholder = json.loads((tmp_path / "out" / "result.json").read_text())
    assert placeholder["status"] == "skipped" and placeholder["reason"]


def test_critical_timeout_fails(tmp_path):
    proc, st, _ = run_job(tmp_path, "hang", timeout=1.0)
    assert proc.returncode != 0
    assert st["status"] == "failed" and st["error"].startswith("timed out after 1 s")


def test_optional_timeout_is_skipped(tmp_path):
    proc, st, _ = run_job(tmp_path, "hang", critical=False, timeout=1.0)
    assert proc.returncode == 0
    assert st["status"] == "skipped" and "timed out after 1 s" in st["notes"]
    assert json.loads((tmp_path / "out" / "result.json").read_text())["status"] == "skipped"
