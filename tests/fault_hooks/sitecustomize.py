"""Fault injection for tests/test_faults.py (never used outside the tests).

tests/test_faults.py puts this folder on PYTHONPATH and sets SUBSMITH_FAULT to
"<stage>:<mode>" for one Snakemake run. Every Python process of that run imports
this file at start-up (sitecustomize); in the stage jobs it wraps the body given to
`subsmith.harness.job.run_stage` for that one stage:

- hold: run the real body, then cut its first output file to half its size (what a
  writer killed mid-file leaves), mark the status file `fault_held` and sleep: the
  test kills the whole run while the stage is `running`.
- hang: start a process tree (a child, a child that ignores SIGTERM with a grandchild,
  and a grandchild that escaped into its own session), record their pids in the status
  file (`fault_tree`) and hang: the stage's timeout must stop all of it.
- linger: run the real body, then as `hang` (the stage does its real work first, so a
  signal sent at a random moment after it starts lands in the work or in the tree).

"replace:<point>" kills the job with SIGKILL at one point of publish.replace_original
(subsmith/harness/replace.py): `mux` (the temp file half written), `verify` (while its packets
are compared), `before_rename` and `after_rename` (around the os.replace over the movie).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

HOLD_SECONDS = 600

_IGNORE_TERM = (
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "g = subprocess.Popen(['sleep', '600'])\n"
    "print(g.pid, flush=True)\n"
    "time.sleep(600)\n"
)
_ESCAPE = (
    "import subprocess, sys\n"
    "g = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
    "print(g.pid, flush=True)\n"
    "sys.stdin.read()\n"
)


def spawn_tree() -> list[int]:
    """A small process tree under this process; returns every pid in it."""
    child = subprocess.Popen(["sleep", "600"])
    stubborn = subprocess.Popen(
        [sys.executable, "-c", _IGNORE_TERM], stdout=subprocess.PIPE, text=True
    )
    escaper = subprocess.Popen(
        [sys.executable, "-c", _ESCAPE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    grandchild = int(stubborn.stdout.readline())
    escaped = int(escaper.stdout.readline())
    return [child.pid, stubborn.pid, grandchild, escaper.pid, escaped]


def _wrap(body, mode: str):
    from subsmith.harness import status

    def hold(ctx):
        body(ctx)
        first = str(list(ctx.output)[0])
        size = os.path.getsize(first)
        with open(first, "r+b") as fh:
            fh.truncate(size // 2)
        status.update(ctx.status_file, fault_held=True)
        time.sleep(HOLD_SECONDS)

    def hang(ctx):
        status.update(ctx.status_file, fault_tree=spawn_tree())
        time.sleep(HOLD_SECONDS)

    def linger(ctx):
        body(ctx)
        hang(ctx)

    return {"hold": hold, "hang": hang, "linger": linger}[mode]


def _die() -> None:
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def _install_replace(point: str) -> None:
    import subsmith.harness.replace
    import subsmith.media.mux

    if point == "mux":
        real_ffmpeg = subsmith.media.mux.run_ffmpeg

        def run_ffmpeg(args, *a, **k):
            done = real_ffmpeg(args, *a, **k)
            out = args[-1].removeprefix("file:")
            if os.path.basename(out).startswith(subsmith.harness.replace.TMP_PREFIX):
                with open(out, "r+b") as fh:
                    fh.truncate(os.path.getsize(out) // 2)
                _die()
            return done

        subsmith.media.mux.run_ffmpeg = run_ffmpeg
    elif point == "verify":
        real_hashes = subsmith.harness.replace.track_hashes

        def track_hashes(path, indexes):
            real_hashes(path, indexes)
            _die()

        subsmith.harness.replace.track_hashes = track_hashes
    elif point in ("before_rename", "after_rename"):
        real_replace = os.replace

        def replace(src, dst, *a, **k):
            ours = os.path.basename(src).startswith(subsmith.harness.replace.TMP_PREFIX)
            if ours and point == "before_rename":
                _die()
            real_replace(src, dst, *a, **k)
            if ours:
                _die()

        os.replace = replace
    else:
        raise ValueError(f"no replace fault point {point!r}")


def _install(spec: str) -> None:
    stage, _, mode = spec.partition(":")
    if stage == "replace":
        _install_replace(mode)
        return
    import subsmith.harness.job

    real = subsmith.harness.job.run_stage

    def run_stage(smk, name, body, critical=None):
        if name == stage:
            body = _wrap(body, mode)
        return real(smk, name, body, critical)

    subsmith.harness.job.run_stage = run_stage


if os.environ.get("SUBSMITH_FAULT"):
    try:
        _install(os.environ["SUBSMITH_FAULT"])
    except Exception as exc:  # noqa: BLE001 - never break the interpreter start-up
        print(f"fault hook not installed: {exc}", file=sys.stderr)
