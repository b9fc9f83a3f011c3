"""Ctrl-C in a real terminal (a pseudo-terminal), during asr, then the next run.

The asr stage is held by the fault hook (tests/fault_hooks, `asr:hang`) with a process
tree in it, including a child that ignores SIGTERM and a grandchild that escaped into
its own session: Ctrl-C must stop all of it within seconds.
"""

from __future__ import annotations

import json
import os
import pty
import select
import time
from pathlib import Path

import psutil
import pytest

from conftest import env, read_manifest, run_snakemake, snakemake_cmd
from subsmith import demo
from subsmith.harness.stages import STAGE_NAMES

pytestmark = pytest.mark.e2e

HOOKS = Path(__file__).parent / "fault_hooks"


def run_in_terminal(work: Path, environ: dict, ready, presses: list[float], timeout=120.0):
    """Run snakemake on a pseudo-terminal; type Ctrl-C once `ready()` holds, then again
    after each delay in `presses[1:]`. Returns (exit code, terminal text, seconds from
    the first Ctrl-C to the end)."""
    cmd = snakemake_cmd(work)
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session whose controlling terminal is the pty
        os.chdir(work)
        os.execve(cmd[0], cmd, environ)
    text, start, first, sent = b"", time.monotonic(), None, 0
    while True:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the terminal closed: the run is over
                break
            if not data:
                break
            text += data
        now = time.monotonic()
        if sent < len(presses) and (first is None and ready() or first is not None):
            if first is None or now - first >= presses[sent]:
                os.write(fd, b"\x03")  # what the terminal sends for Ctrl-C
                first = first or now
                sent += 1
        if now - start > timeout:
            os.kill(pid, 9)
            raise AssertionError("the run did not end:\n" + text.decode(errors="replace"))
    _, code = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(code), text.decode(errors="replace"), now - first


def test_ctrl_c_stops_the_running_stage_and_the_next_run_redoes_it(tmp_path):
    audio, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, tail=0.3)
    demo.make_movie(tmp_path / "in" / "clip.mkv", [{"audio": audio}])
    status_file = tmp_path / "out" / "clip" / ".status" / "asr.json"

    def held():
        try:
            return bool(json.loads(status_file.read_text()).get("fault_tree"))
        except (OSError, ValueError):
            return False

    e = env()
    e["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOKS), e.get("PYTHONPATH")) if p)
    e["SUBSMITH_FAULT"] = "asr:hang"
    # Ctrl-C, and a second one 0.3 s later, while the stage is being stopped.
    code, text, took = run_in_terminal(tmp_path, e, held, [0.0, 0.3])
    assert code != 0
    assert took < 8, f"{took:.1f} s from Ctrl-C to the end"
    assert "Traceback" not in text and "event loop" not in text, text[-3000:]
    assert "KeyboardInterrupt" not in text
    assert "subsmith asr failed: interrupted (Ctrl-C)" in text
    st = json.loads(status_file.read_text())
    assert st["status"] == "failed" and st["error"].startswith("interrupted (Ctrl-C)")

    # The whole tree, the escaped grandchild included; the child that ignores SIGTERM is
    # killed by the watchdog after its grace period (3 s from the Ctrl-C).
    def gone(pid):
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    def tree_gone():
        return all(gone(p) for p in st["fault_tree"])

    end = time.monotonic() + max(0.0, 6 - took)
    while not tree_gone() and time.monotonic() < end:
        time.sleep(0.1)
    assert tree_gone(), [p for p in st["fault_tree"] if not gone(p)]
    m = read_manifest(tmp_path, "clip")
    assert m["pipeline"]["status"] == "failed"
    assert m["pipeline"]["steps"]["asr"]["status"] == "failed"
    assert m["pipeline"]["current_stage"] is None  # nothing left "running"

    again = run_snakemake(tmp_path)  # no fault this time
    assert again.returncode == 0, again.stderr[-3000:]
    steps = read_manifest(tmp_path, "clip")["pipeline"]["steps"]
    # Every stage ran once, asr twice: nothing before it was redone.
    assert {s: v["runs"] for s, v in steps.items()} == {
        s: 2 if s == "asr" else 1 for s in STAGE_NAMES
    }
    assert all(v["completed"] for v in steps.values())
