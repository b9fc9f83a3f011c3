"""out/<movie>/manifest.json: a pure function of the stage status files.

Rendering reads the status files in the fixed stage order and writes the result
atomically. Only the main Snakemake process renders (at start, on each job event
through the logger plugin, and at the end), so there is one writer, and rendering
again is always safe: a crash and a resume leave the manifest true.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.jsonio import read_json, write_json_atomic
from . import existing, existing_check, library, status
from .stages import BY_NAME, STAGES, next_stage

MANIFEST = "manifest.json"
_lock = threading.Lock()

# Run states a render can be asked for:
LIVE = "live"  # a snakemake run is going: `running` stages are believed
FINISHED = "finished"  # the run ended: a stage still `running` was interrupted
_finished: set[str] = set()  # movie folders this process closed its run on (write)


HISTORY_KEEP = 10
_ATTEMPT_KEYS = ("status", "started_at", "finished_at", "duration", "error")

# A movie without speech completes without a subtitle track; its manifest says so.
NO_SPEECH = "no speech found: no subtitle track added"


def _previous_attempts(old: dict[str, Any], current: dict[str, Any] | None) -> list[dict]:
    """Earlier attempts of a stage: those in the last manifest, plus the last manifest's
    own entry when the status file now describes another attempt (or is gone because
    Snakemake cleared it for a rerun)."""
    previous = list(old.get("previous") or [])
    started = old.get("started_at")
    if started and (current is None or current.get("started_at") != started):
        if all(p.get("started_at") != started for p in previous):
            previous.append({k: old.get(k) for k in _ATTEMPT_KEYS})
    return previous[-HISTORY_KEEP:]


def render(
    movie_dir: str | os.PathLike[str],
    run_state: str = LIVE,
    starting: str | Collection[str] | None = None,
) -> dict[str, Any]:
    """The manifest from the status files and, for earlier attempts, the last manifest.

    `starting`: the stages whose jobs Snakemake has started (one name or several: stages
    of one movie run side by side, tmdb beside demux) and that may not have written their
    own status file yet.
    """
    starting = {starting} if isinstance(starting, str) else set(starting or ())
    movie_dir = Path(movie_dir)
    movie = movie_dir.name
    last = read_json(movie_dir / MANIFEST) or {}
    last_steps = (last.get("pipeline") or {}).get("steps") or {}
    steps: dict[str, Any] = {}
    own: dict[str, dict[str, Any] | None] = {}  # each stage's status file, as rendered
    failed = False
    running = False
    starts, ends = [], []
    input_path = None
    for stage in STAGES:
        st = status.read_status(status.status_path(movie_dir, stage.name))
        if st is None and stage.name in starting and run_state == LIVE:
            # Snakemake just started this job; its own status file is not written yet.
            st = {"status": status.RUNNING, "notes": "starting", "progress": 0.0}
        step: dict[str, Any] = {
            "enabled": True,
            "critical": stage.critical,
            "completed": False,
            "status": "pending",
            "duration": None,
            "next_stage": next_stage(stage.name),
            "notes": "",
            "error": None,
        }
        previous = _previous_attempts(last_steps.get(stage.name) or {}, st)
        if previous:
            step["previous"] = previous
        step["runs"] = len(previous) + (1 if st else 0)
        if st:
            state = st.get("status", "pending")
            if state == status.RUNNING and run_state == FINISHED:
                state, st = status.FAILED, {**st, "error": status.INTERRUPTED}
            step.update(
                status=state,
                completed=state in status.DONE,
                duration=st.get("duration"),
                notes=st.get("notes", ""),
                error=st.get("error"),
                started_at=st.get("started_at"),
                finished_at=st.get("finished_at"),
                progress=st.get("progress"),
            )
            if st.get("started_at"):
                starts.append(st["started_at"])
            if st.get("finished_at"):
                ends.append(st["finished_at"])
            if stage.name == "demux" and st.get("inputs"):
                input_path = st["inputs"][0]
            failed = failed or (state == status.FAILED and stage.critical)
            running = running or state == status.RUNNING
        own[stage.name] = st
        steps[stage.name] = step

    for name, is_open in _open_stages(own, steps).items():
        if is_open and steps[name]["completed"]:
            # Done in an earlier run, but a stage it depends on is being redone (or
            # failed): its output is out of date until it runs again.
            steps[name].update(completed=False, outdated=True)
    completed = [name for name, step in steps.items() if step["completed"]]
    # A stage beside the movie (the report) is not on its way: the movie is done without it.
    first_open = next(
        (n for n, step in steps.items() if not step["completed"] and not BY_NAME[n].beside),
        None,
    )
    # existing: skip: a movie that has its subtitle already, and that no stage ran for
    # (but the stages of an earlier existing: check).
    skip = existing.record(movie_dir)
    transcribed = any(v for k, v in own.items() if k not in CHECK_STAGES)
    check = skip is not None and skip.get("mode") == "check" and not transcribed
    skipped = (
        f"skipped: {skip.get('reason')} (existing: skip)"
        if skip is not None and not check and not transcribed
        else ""
    )
    checked: dict[str, Any] = {}
    if check:
        checked = _check_step(movie_dir, run_state, starting)
        for name, step in steps.items():
            step["enabled"] = name in CHECK_STAGES
        first_open = next(
            (n for n in CHECK_STAGES if not steps[n]["completed"]),
            None if checked["status"] == status.SUCCESS else existing_check.STAGE,
        )
        failed = any(
            steps[n]["status"] == status.FAILED and BY_NAME[n].critical for n in CHECK_STAGES
        ) or (checked["status"] == status.FAILED)
        input_path = input_path or skip.get("input")
    if skipped:
        for step in steps.values():
            step["enabled"] = False
        first_open = None
        input_path = skip.get("input")

    if skipped:
        overall = "skipped"
    elif check and first_open is None:
        overall = "checked"
    elif first_open is None:
        overall = "completed"
    elif failed:
        overall = "failed"
    elif run_state == LIVE:
        overall = "running"
    else:
        overall = "incomplete"

    media = read_json(movie_dir / "media.json") or {}
    replaced = (read_json(movie_dir / library.IDENTITY_FILE) or {}).get("replaced")
    title, year = library.title_and_year(movie)
    # Once the tmdb stage ran, its parse of the name (guessit, folders, Plex/Jellyfin
    # tags) is the better one: "Film (2001) {edition-...} [tmdbid-1]" has a year too.
    meta = read_json(movie_dir / "metadata" / "tmdb_data.json")
    query = meta.get("query") if isinstance(meta, dict) else None
    if isinstance(query, dict) and query.get("title"):
        title, year = query["title"], query.get("year")
    notes = [s["notes"] for s in steps.values() if NO_SPEECH in (s.get("notes") or "")]
    return {
        "input": {
            "path": input_path or media.get("input") or (last.get("input") or {}).get("path"),
            "title": title,
            "year": year,
            "duration": _seconds((media.get("format") or {}).get("duration")),
            **({"replaced": replaced} if replaced else {}),
        },
        "output_dir": str(movie_dir),
        "pipeline": {
            "status": overall,
            "started_at": min(starts) if starts else None,
            "finished_at": max(ends) if ends and overall in ("completed", "failed") else None,
            "current_stage": next((s for s, v in steps.items() if v["status"] == "running"), None),
            "completed_stages": completed,
            "next_stage": first_open,
            # What a reader must know about the result: a movie without dialogue gets no
            # subtitle track (srt_generation and mux say so in their notes).
            "note": skipped
            or checked.get("note")
            or _result_note(movie_dir, bool(notes) and overall == "completed"),
            "steps": steps,
            **({"existing_check": checked} if check else {}),
        },
    }


# What existing: check runs for a movie that has its subtitle: these stages, then the check.
CHECK_STAGES = tuple(s for s in existing.CHECK_STAGES if s != existing_check.STAGE)


def _check_step(movie_dir: Path, run_state: str, starting: Collection[str]) -> dict[str, Any]:
    """The check's status (its own status file, no stage of the table) and its result."""
    st = status.read_status(status.status_path(movie_dir, existing_check.STAGE)) or {}
    state = st.get("status") or "pending"
    if not st and existing_check.STAGE in starting and run_state == LIVE:
        state = status.RUNNING
    if state == status.RUNNING and run_state == FINISHED:
        state, st = status.FAILED, {**st, "error": status.INTERRUPTED}
    step: dict[str, Any] = {"status": state, "duration": st.get("duration")}
    result = read_json(movie_dir / existing_check.RESULT)
    if state == status.SUCCESS and isinstance(result, dict):
        step.update(result, note=existing_check.summary(result))
    elif state == status.FAILED:
        step.update(error=st.get("error"), note=f"existing: check failed: {st.get('error')}")
    return step


def _result_note(movie_dir: Path, no_speech: bool) -> str:
    """No speech, and what publishing could not do (a user's file of the sidecar's name,
    a library folder that cannot be written): published.json's notes."""
    report = read_json(movie_dir / "published.json")
    published = report.get("notes") if isinstance(report, dict) else None
    return "; ".join(([NO_SPEECH] if no_speech else []) + list(published or []))


def _open_stages(own: dict[str, dict[str, Any] | None], steps: dict[str, Any]) -> dict[str, bool]:
    """Each stage (in table order): is its result missing or out of date?

    A stage is open when it has not completed, or when a stage whose files it reads is
    open or finished after it started (redone since). Which stage wrote which file comes
    from the status files (`reads`/`writes`, the job's own inputs and outputs), so an
    optional stage beside the chain that is still queued (pre_ner waiting for a core)
    leaves the stages that do not read its files completed. A file whose writer is unknown (its status file is gone, or was
    written before status files named their files) may come from any earlier stage
    without that record, and a status file without `reads` depends on every stage
    before it: the table order is the workflow's order, so both err towards "outdated".
    """
    writer: dict[str, str] = {}
    for name, st in own.items():
        for f in (st or {}).get("writes") or ():
            writer[f] = name
    names = list(own)
    is_open: dict[str, bool] = {}

    def open_(name: str, seen: frozenset[str] = frozenset()) -> bool:
        # Recursive, not in table order: demux reads tmdb's file (the original language),
        # though tmdb comes after it in the table. A cycle (none in the workflow) is open.
        if name in is_open:
            return is_open[name]
        if name in seen:
            return True
        st = own[name]
        if not steps[name]["completed"] or st is None:
            is_open[name] = True
            return True
        earlier = names[: names.index(name)]
        reads = st.get("reads")
        known = {writer[f] for f in reads or () if f in writer} - {name}
        if reads is None:
            deps = set(earlier)
        else:
            unknown = [e for e in earlier if "writes" not in (own[e] or {})]
            deps = known | {e for f in reads if f not in writer for e in unknown}
        # A stage whose files it read was redone since it ran: it waits to run again.
        redone = any(_later((own[d] or {}).get("finished_at"), st.get("started_at")) for d in known)
        result = redone or any(open_(d, seen | {name}) for d in deps - {name})
        is_open[name] = result
        return result

    for name in names:
        open_(name)
    return is_open


def _later(a: str | None, b: str | None) -> bool:
    """Timestamp `a` after `b` (both as status files write them); unknown is not later."""
    try:
        return bool(a and b) and datetime.fromisoformat(a) > datetime.fromisoformat(b)  # type: ignore[arg-type]
    except ValueError:
        return False


def _seconds(value: Any) -> float | None:
    try:
        return round(float(value), 3)
    except (TypeError, ValueError):
        return None


def write(
    movie_dir: str | os.PathLike[str],
    run_state: str = LIVE,
    starting: str | Collection[str] | None = None,
) -> dict[str, Any]:
    """Render and write the manifest. A disk that is full (or gone read-only) is one
    line on stderr, not a traceback: the last manifest stays whole, and the next
    render, once there is room, catches up (rendering is idempotent)."""
    with _lock:
        # Snakemake's log listener is a thread: a job's last record can be handled after
        # the run's end hook wrote FINISHED. Once the run is over in this process, a late
        # LIVE render would say `running` for good, so it renders as FINISHED too (per movie folder).
        key = os.path.abspath(movie_dir)
        if run_state == FINISHED:
            _finished.add(key)
        elif key in _finished:
            run_state = FINISHED
        data = render(movie_dir, run_state, starting)
        path = Path(movie_dir) / MANIFEST
        try:
            write_json_atomic(path, data)
        except OSError as exc:
            unwritable(path, exc)
    return data


_reported: set[str] = set()


def unwritable(path: str | os.PathLike[str], exc: OSError) -> None:
    """One line per file and process: the main process renders on every job event."""
    if str(path) in _reported:
        return
    _reported.add(str(path))
    print(
        f"subsmith: cannot write {path} ({exc.strerror or exc}); "
        "free some space or fix the output folder",
        file=sys.stderr,
        flush=True,
    )


def close_interrupted(movie_dir: str | os.PathLike[str]) -> list[str]:
    """At the start of a run, stages a killed run left `running` become failed."""
    closed = []
    for name in (*(s.name for s in STAGES), existing_check.STAGE):
        path = status.status_path(movie_dir, name)
        try:
            if status.fail_if_running(path, status.INTERRUPTED):
                closed.append(name)
        except OSError as exc:
            unwritable(path, exc)
    return closed


def movie_dirs(output_dir: str | os.PathLike[str]) -> list[Path]:
    """Movie folders under out/ that have status files (i.e. something ran), or a
    skip decision (existing: skip).

    out/ mirrors the library's folders, so a movie may sit at any depth
    (out/Show/Season 1/Pilot/), even inside another movie's folder."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        if ".status" in dirnames or existing.RECORD in filenames:
            found.append(Path(dirpath))
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    return sorted(found)


def record_skip(movie_dir: str | os.PathLike[str], new: bool) -> None:
    """A movie existing: skip leaves undone gets its manifest (`skipped` and why) when
    the decision is new or it has none yet (existing.check_library's on_skip)."""
    d = Path(movie_dir)
    if new or not (d / MANIFEST).is_file():
        write(d, FINISHED)
