"""The timeout watchdog stops a whole process tree and records why."""

import os
import subprocess
import sys
import time

from subsmith.harness import status, watchdog

HANG = """
import os, subprocess, sys, time
os.setpgid(0, 0)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(child.pid, flush=True)
time.sleep(600)
"""


def test_timeout_kills_the_process_group_and_records_failed(tmp_path):
    sf = tmp_path / ".status" / "asr.json"
    status.start(sf, "asr", inputs=[], timeout=1)
    job = subprocess.Popen([sys.executable, "-c", HANG], stdout=subprocess.PIPE, text=True)
    child = int(job.stdout.readline())
    t0 = time.monotonic()
    watchdog.watch(job.pid, job.pid, 1.0, str(sf), poll=0.05)
    job.wait(timeout=15)
    assert time.monotonic() - t0 < 15
    st = status.read_status(sf)
    assert st["status"] == "failed"
    assert st["error"].startswith("timed out after 1 s")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the job's child process survived the timeout")


def test_watchdog_leaves_a_finished_job_alone(tmp_path):
    sf = tmp_path / "s.json"
    status.start(sf, "mux", inputs=[], timeout=30)
    job = subprocess.Popen([sys.executable, "-c", "pass"])
    job.wait()
    assert watchdog.watch(job.pid, job.pid, 30.0, str(sf), poll=0.05) == 0
    assert status.read_status(sf)["status"] == "running"
