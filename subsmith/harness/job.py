"""Run one stage inside a Snakemake `script:` job.

Every stage script is `run_stage(snakemake, "<stage>", body)`. This gives each
stage the same behaviour: its output (and that of ffmpeg or the models) goes to
the rule's log, its status file says running/success/skipped/failed with the
measured duration, a watchdog enforces the timeout, progress is recorded, and a
failure ends the job with one clear line instead of a traceback.
"""

from __future__ import annotations

import html
import logging
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import SkipStage, StageError
from ..core.jsonio import write_json_atomic
from . import status
from .stages import BY_NAME
from .watchdog import TERMINATED

PROGRESS_EVERY_S = 2.0


@dataclass
class StageContext:
    """What a stage body needs: its files, params, a logger and progress reporting."""

    stage: str
    input: Any
    output: Any
    params: Any
    threads: int
    config: dict[str, Any]
    wildcards: Any
    log: logging.Logger
    status_file: str
    notes: list[str] = field(default_factory=list)
    _last_progress: float = 0.0

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.log.info(text)

    def progress(self, fraction: float, detail: str = "", *, force: bool = False) -> None:
        """Record progress in the status file and the log, at most every few seconds."""
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_EVERY_S and fraction < 1.0:
            return
        self._last_progress = now
        fraction = max(0.0, min(1.0, fraction))
        try:
            status.update(self.status_file, progress=round(fraction, 4), progress_detail=detail)
        except OSError as exc:  # a full disk must not stop the work it reports on
            # one plain line, as the stage's own errors are (no "[Errno 28]")
            self.log.warning(
                "cannot record progress in %s: %s", self.status_file, exc.strerror or exc
            )
        self.log.info("%s: %3.0f%% %s", self.stage, fraction * 100, detail)


class _Terminated(StageError):
    """SIGTERM: the scheduler cancelled the job, or someone killed it (not a file problem)."""


# What the watchdog acts on (subsmith.harness.watchdog._REASONS).
_WATCHDOG_SIGNALS = {signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM}
_terminated = False  # a SIGTERM came
_in_body = False  # the stage's body runs: a SIGTERM unwinds it


def _on_sigterm(signum: int, frame: Any) -> None:
    """The first SIGTERM unwinds the stage's body (an ffmpeg it runs is killed on the way
    out); the watchdog, told at once through the wakeup pipe, stops the rest of the tree
    and TERMs the group again, which must not raise a second time in the middle of the
    job recording its outcome. Before the body (the job starting: its status just
    written, the watchdog not yet) it is only noted, and the body is not run."""
    global _terminated
    if _terminated:
        return
    _terminated = True
    if _in_body:
        raise _Terminated(TERMINATED)


def _start_watchdog(timeout: float, status_file: str) -> subprocess.Popen[bytes] | None:
    """Make this job its own process group and start the timeout watchdog for it.

    The watchdog also reads this process's signal wakeup pipe: a SIGTERM to the job
    (SLURM's scancel, a `kill`) reaches it even while the job is stuck in native code,
    where Python runs no handler until the call returns."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass  # already a group/session leader: the group is still ours
    pgid = os.getpgid(0)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # set_wakeup_fd needs it: a full pipe drops bytes
    try:
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # not the main thread: no wakeup fd, the Python handler stays
        os.close(write_end)
        write_end = -1
    # Blocked in the watchdog until its handlers are in place (signals a child is born
    # with), so a signal sent to it while it starts is not its death; and here meanwhile.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHDOG_SIGNALS)
    try:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "subsmith.harness.watchdog",
                "--pid",
                str(os.getpid()),
                "--pgid",
                str(pgid),
                "--timeout",
                str(timeout),
                "--status",
                status_file,
                *(["--wakeup-fd", str(read_end)] if write_end >= 0 else []),
            ],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            pass_fds=(read_end,) if write_end >= 0 else (),
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(read_end)


def _await_watchdog(status_file: str, seconds: float = 5.0) -> None:
    """Stay until the watchdog has taken this job's tree in hand (it marks the status
    `interrupted` once it holds it stopped): a job that exits first orphans its children,
    and one that had left the group could no longer be found."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if (status.read_status(status_file) or {}).get("interrupted"):
            return
        time.sleep(0.02)


def _setup_log(log_file: str, stage: str) -> tuple[logging.Logger, int]:
    """Send this process's stdout/stderr (and its children's) to the rule's log file."""
    os.makedirs(os.path.dirname(log_file) or ".", exist_ok=True)
    saved_stderr = os.dup(2)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    logger = logging.getLogger(f"subsmith.{stage}")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, saved_stderr


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, StageError) else f"{type(exc).__name__}: {text}"


def name_the_file(error: str, inputs: list[str], outputs: list[str]) -> str:
    """Every failure line names a file: when the message names none of the job's files,
    it is about the job's first input (say, "no speech found" in a movie's audio)."""
    if not inputs or any(f and f in error for f in inputs + outputs):
        return error
    return f"{inputs[0]}: {error}"


def write_skipped_outputs(
    outputs: Any, stage: str, reason: str, record: dict[str, Any] | None = None
) -> None:
    """An optional stage that cannot run still writes its outputs, marked skipped, so the
    file graph stays whole and the stages after it carry on."""
    for f in outputs:
        f = str(f)
        if f.endswith(".json"):
            data = {**(record or {}), "status": "skipped", "stage": stage, "reason": reason}
            write_json_atomic(f, data)
        else:
            os.makedirs(os.path.dirname(f) or ".", exist_ok=True)
            with open(f, "w", encoding="utf-8") as fh:
                if f.endswith(".html"):  # a page (the report) says why it is empty
                    fh.write(placeholder_page(f, stage, reason))


def placeholder_page(path: str, stage: str, reason: str) -> str:
    """The page an optional stage that writes HTML leaves when it could not run: the
    reason, where a reader of the page looks for it."""
    movie = html.escape(os.path.basename(os.path.dirname(os.path.abspath(path))))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{movie}: no {stage}</title></head><body><h1>{movie}</h1>"
        f"<p>No {stage} for this movie: {html.escape(reason)}</p>"
        "<p>The subtitles are not affected. To try again: <code>snakemake --cores 1 "
        f"{html.escape(path)} --forcerun {stage}</code></p></body></html>\n"
    )


def run_stage(
    smk: Any, stage: str, body: Callable[[StageContext], None], critical: bool | None = None
) -> None:
    """Run `body` as stage `stage` of the Snakemake job `smk`.

    A critical stage that fails exits 1 (Snakemake fails the job, the movie stops). An
    optional stage that fails, or raises SkipStage, is recorded `skipped` with the reason
    and writes placeholder outputs; the run goes on.
    """
    global _in_body
    if critical is None:
        critical = BY_NAME[stage].critical if stage in BY_NAME else True
    status_file = str(smk.log.status)
    timeout = float(smk.params.timeout) if hasattr(smk.params, "timeout") else None
    inputs = [str(f) for f in smk.input]
    real_stderr = 2
    # From here on a SIGTERM is the stage's to record (recorded running below, then
    # killed without a word by the default action, it read "ended without recording").
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        logger, real_stderr = _setup_log(str(smk.log.log), stage)
        status.start(
            status_file,
            stage,
            inputs=inputs,
            outputs=[str(f) for f in smk.output],
            timeout=timeout,
        )
    except OSError as exc:  # a full disk before the stage could start: one line
        line = (
            f"subsmith {stage} failed: cannot write {exc.filename or status_file} "
            f"({exc.strerror or exc}); free some space\n"
        )
        os.write(real_stderr, line.encode())
        sys.exit(1)
    watchdog = _start_watchdog(timeout, status_file) if timeout else None
    ctx = StageContext(
        stage=stage,
        input=smk.input,
        output=smk.output,
        params=smk.params,
        threads=int(smk.threads),
        config=smk.config,
        wildcards=smk.wildcards,
        log=logger,
        status_file=status_file,
    )
    logger.info(
        "%s: started (movie %r, timeout %s s)",
        stage,
        "".join(dict(smk.wildcards).get(k) or "" for k in ("folder", "movie")),
        timeout,
    )
    t0 = time.monotonic()
    outcome, error = status.SUCCESS, None
    skip_record: dict[str, Any] = {}
    try:
        _in_body = True
        if _terminated:  # it came while the job was starting
            raise _Terminated(TERMINATED)
        body(ctx)
    except SkipStage as exc:
        if _terminated:  # a stage that skips on any error made one of the SIGTERM
            outcome, error = status.FAILED, TERMINATED
        else:
            outcome, skip_record = status.SKIPPED, exc.record
            ctx.notes.append(f"skipped: {exc}")
    except BaseException as exc:  # noqa: BLE001 - every failure must be recorded
        outcome, error = status.FAILED, one_line(exc)
        if _terminated or isinstance(exc, _Terminated):
            # Stopped, not broken: whatever a library made of the exception on its way
            # out (guessit wraps it in its own, a C extension's import turns it into
            # "ImportError: initialization failed"), this is no file's problem, no
            # traceback, and no optional stage skipped for it.
            error = TERMINATED
        else:
            error = name_the_file(error, inputs, [str(f) for f in smk.output])
            if not isinstance(exc, StageError):
                logger.error("%s", traceback.format_exc())
            if not critical and not isinstance(exc, KeyboardInterrupt):
                outcome, error = status.SKIPPED, None
                ctx.notes.append(f"skipped (optional stage failed): {one_line(exc)}")
    finally:
        _in_body = False
    duration = time.monotonic() - t0
    if not _terminated:  # else keep ignoring the watchdog's TERM while we record it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    current = status.read_status(status_file) or {}
    if current.get("timed_out") or current.get("interrupted"):
        # The watchdog stopped us (a timeout, Ctrl-C or SIGTERM): its message is the true
        # cause, and it finishes stopping the whole process group, so leave it running.
        if critical or current.get("interrupted"):
            outcome, error = status.FAILED, current.get("error")
        else:
            outcome, error = status.SKIPPED, None
            ctx.notes.append(f"skipped: {current.get('error')}")
    elif _terminated and watchdog is not None:
        # SIGTERM reached this job first: the watchdog (told through the wakeup pipe, or
        # now) stops the rest of the tree, so leave it running.
        outcome, error = status.FAILED, TERMINATED
        try:
            watchdog.send_signal(signal.SIGUSR2)
        except OSError:
            pass
        _await_watchdog(status_file)
    elif watchdog is not None:
        watchdog.kill()
        watchdog.wait()
        try:  # nobody reads the wakeup pipe now: a late signal must not write to it
            signal.set_wakeup_fd(-1)
        except ValueError:
            pass
    if outcome == status.SKIPPED:
        write_skipped_outputs(smk.output, stage, "; ".join(ctx.notes), skip_record)
    try:
        status.finish(
            status_file, outcome, duration=duration, notes="; ".join(ctx.notes), error=error
        )
    except OSError as exc:
        # The disk is full: the job's own outputs are what Snakemake removes after a
        # failure anyway, so remove them now and try once more to record it.
        outcome = status.FAILED
        error = error or f"{status_file}: cannot record the outcome ({exc.strerror or exc})"
        for f in smk.output:
            try:
                os.unlink(str(f))
            except OSError:
                pass
        try:
            status.finish(
                status_file, outcome, duration=duration, notes="; ".join(ctx.notes), error=error
            )
        except OSError:
            pass  # the main process, or the next run, closes it as failed
    if outcome == status.FAILED:
        logger.error("%s failed: %s", stage, error)
        os.write(real_stderr, f"subsmith {stage} failed: {error}\n".encode())
        logging.shutdown()
        sys.exit(1)
    logger.info("%s: %s in %.1f s", stage, outcome, duration)
