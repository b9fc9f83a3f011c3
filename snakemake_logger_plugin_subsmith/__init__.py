"""Snakemake logger plugin: keeps every movie's manifest.json live.

It runs in the main snakemake process for every executor (local, SLURM, ...),
receives the per-job events, and re-renders the manifest of the job's movie when
a job starts, finishes or fails. A job that dies without closing its status file
(kill -9, out of memory, a cluster TIMEOUT) is closed here as failed with the
executor's message, since the job can no longer write it.

Select it with `--logger subsmith` (the profiles in profiles/ do).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase

from subsmith.harness import manifest, status


@dataclass
class LogHandlerSettings(LogHandlerSettingsBase):
    pass


def _status_file(log_files: Any) -> str | None:
    for f in log_files or []:
        f = str(f)
        if f.endswith(".json") and Path(f).parent.name == ".status":
            return f
    return None


class LogHandler(LogHandlerBase):
    def __post_init__(self) -> None:
        self._jobs: dict[Any, str] = {}  # jobid -> status file (job ids are per run)
        self._running: dict[Any, str] = {}  # the same, for jobs not finished yet
        self._lock = threading.Lock()
        # A dry run changes no manifest, so take no records at all: Snakemake's queue
        # listener honours handler levels, and a dry run of a 1,000-movie library logs
        # ~10,000 records (bench/results.md, section 3).
        dry = getattr(self.common_settings, "dryrun", False)
        self.setLevel(logging.CRITICAL + 1 if dry else logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        # An exception here would silently stop Snakemake's listener thread.
        try:
            self._handle(record)
        except Exception:  # noqa: BLE001
            self.handleError(record)

    def _handle(self, record: logging.LogRecord) -> None:
        if getattr(self.common_settings, "dryrun", False):
            return
        event = getattr(record, "event", None)
        if event == LogEvent.JOB_INFO:
            sf = _status_file(getattr(record, "log", None))
            if sf:
                with self._lock:
                    self._jobs[getattr(record, "jobid", None)] = sf
                    self._running[getattr(record, "jobid", None)] = sf
                self._write(sf)
        elif event == LogEvent.JOB_FINISHED:
            sf = self._jobs.get(getattr(record, "job_id", None))
            if sf:
                with self._lock:
                    self._running.pop(getattr(record, "job_id", None), None)
                self._write(sf)
        elif event == LogEvent.JOB_ERROR:
            sf = self._jobs.get(getattr(record, "jobid", None)) or _status_file(
                getattr(record, "log", None)
            )
            if sf:
                msg = " ".join(str(getattr(record, "rule_msg", "") or "").split())
                try:
                    status.fail_if_running(
                        sf, msg or "the job ended without recording its outcome (killed?)"
                    )
                except OSError as exc:  # a full disk: one line, not a traceback
                    manifest.unwritable(sf, exc)
                with self._lock:
                    self._running.pop(getattr(record, "jobid", None), None)
                self._write(sf)

    def _write(self, sf: str) -> None:
        """Re-render the manifest of the job's movie. Every started, unfinished job of that
        movie counts as running even before its own status file exists: with two jobs of
        one movie at once (demux and tmdb), the render for one must not show the other as
        pending."""
        movie_dir = status.movie_dir_of(sf)
        with self._lock:
            starting = {
                Path(f).stem for f in self._running.values() if status.movie_dir_of(f) == movie_dir
            }
        manifest.write(movie_dir, starting=starting)

    @property
    def writes_to_stream(self) -> bool:
        return False

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        # Our own (accept-all) filter: --quiet must not hide job events from us.
        return True

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False
