"""Run ffmpeg without ever stalling on its own output.

ffmpeg writes two streams: `-progress` lines on stdout and its complaints on stderr.
Reading one to the end before the other deadlocks as soon as the unread pipe fills
(64 KiB on Linux): a damaged movie makes ffmpeg write ~100 KB of decode errors, ffmpeg
blocks on the full stderr pipe while we wait for more stdout, and the stage sat at
"0 % of 159 s" until its timeout. So stderr is drained by its own thread, while the
caller reads the progress lines, and what it keeps is bounded: the first lines and
the last STDERR_TAIL_BYTES go to the log, every line is counted.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from ..core.errors import StageError

Progress = Callable[[float, str], None]

# What the log keeps of ffmpeg's stderr: the first lines (the cause, usually) and the
# last bytes (the end of the story); a 2-hour damaged movie writes megabytes of it.
STDERR_HEAD_LINES = 20
STDERR_TAIL_BYTES = 16 * 1024
# ffmpeg folds identical messages into "Last message repeated N times".
_REPEATED = re.compile(r"Last message repeated (\d+) times")
FULL_DISK = "No space left on device"
# ffmpeg's exit code when more frames failed to decode than `-max_error_rate` allows.
TOO_MANY_ERRORS = 69


@dataclass
class FfmpegRun:
    """What one ffmpeg run said: how many error lines (at `-loglevel error` everything
    it writes is an error: decode errors in a damaged file), and a bounded excerpt."""

    code: int
    errors: int
    excerpt: str
    last_line: str
    full_disk: str  # the last "No space left on device" line, or ""


class FfmpegError(StageError):
    """ffmpeg failed; `run` says how (its exit code, error count and last words)."""

    def __init__(self, message: str, run: FfmpegRun) -> None:
        super().__init__(message)
        self.run = run


class StderrDrain(threading.Thread):
    """Reads a text stream to its end, keeping its head and tail and counting lines."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(daemon=True, name="ffmpeg-stderr")
        self.stream = stream
        self.errors = 0
        self.full_disk = ""
        self.last_line = ""
        self._head: list[str] = []
        self._tail: deque[str] = deque()
        self._tail_bytes = 0
        self._dropped = 0

    def run(self) -> None:
        for line in self.stream:
            self.feed(line)

    def feed(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        repeated = _REPEATED.search(text)
        self.errors += int(repeated.group(1)) if repeated else 1
        if FULL_DISK in text:
            self.full_disk = text
        if not repeated:
            self.last_line = text
        if len(self._head) < STDERR_HEAD_LINES:
            self._head.append(text)
            return
        self._tail.append(text)
        self._tail_bytes += len(text) + 1
        while self._tail_bytes > STDERR_TAIL_BYTES and len(self._tail) > 1:
            self._tail_bytes -= len(self._tail.popleft()) + 1
            self._dropped += 1

    def excerpt(self) -> str:
        gap = [f"... ({self._dropped} lines not kept) ..."] if self._dropped else []
        return "\n".join([*self._head, *gap, *self._tail])


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def run_ffmpeg(
    args: list[str], duration: float | None, progress: Progress | None, log: logging.Logger
) -> FfmpegRun:
    """Run ffmpeg (argv list), feeding its -progress output to `progress`.

    Fails (StageError) when ffmpeg fails, or writes "No space left on device" even with
    exit code 0 (a trailer it could not write leaves a truncated file that probes whole).
    Otherwise returns what it said, for the caller to judge (decode errors in a damaged
    file are not a failure by themselves: ffmpeg decodes around them)."""
    cmd = [
        args[0],
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-progress",
        "pipe:1",
        "-nostats",
        *args[1:],
    ]
    log.info("running: %s", " ".join(repr(a) for a in cmd))
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None and proc.stderr is not None
    drain = StderrDrain(proc.stderr)
    drain.start()
    try:
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and progress and duration:
                t = (_float(value) or 0.0) / 1e6
                progress(min(1.0, t / duration), f"{t:.0f} of {duration:.0f} s")
        code = proc.wait()
        drain.join()
    finally:
        if proc.poll() is None:  # we were interrupted: ffmpeg must not outlive us
            proc.kill()
            proc.wait()
        drain.join(timeout=5)  # ffmpeg is gone: its stderr is at its end
        proc.stdout.close()
        if not drain.is_alive():
            proc.stderr.close()
    run = FfmpegRun(code, drain.errors, drain.excerpt(), drain.last_line, drain.full_disk)
    if run.excerpt:
        log.info("ffmpeg said (%d error lines):\n%s", run.errors, run.excerpt)
    # A full disk is the cause even when ffmpeg's last words are "Conversion failed!".
    if code != 0 or run.full_disk:
        reason = run.full_disk or run.last_line or f"exit code {code}"
        raise FfmpegError(f"ffmpeg failed ({reason})", run)
    return run
