"""The `subsmith` command: see where every movie of a run stands."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .core.jsonio import read_json
from .core.processes import alive
from .harness import manifest, status
from .harness.stages import STAGE_NAMES
from .subtitles import publish


def _live_step(movie_dir: Path, stage: str, step: dict[str, Any]) -> dict[str, Any]:
    """The manifest is rendered on job events; the job's own status file is fresher."""
    st = status.read_status(status.status_path(movie_dir, stage))
    if st and st.get("status") == status.RUNNING and _gone(st):
        # Its job died without a word (kill -9 of the whole run): it is not running.
        return {**step, "status": "failed", "error": status.INTERRUPTED}
    if st and st.get("status") == status.RUNNING:
        return {
            **step,
            "status": "running",
            "progress": st.get("progress"),
            "progress_detail": st.get("progress_detail", ""),
        }
    return step


def _gone(st: dict[str, Any]) -> bool:
    """True when the job's process ran on this machine and no longer exists."""
    import socket

    pid = st.get("pid")
    if not isinstance(pid, int) or st.get("host") != socket.gethostname():
        return False  # another machine's job (a cluster node): trust its file
    return not alive(pid)


def movie_rows(out_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for d in manifest.movie_dirs(out_dir):
        m = read_json(d / manifest.MANIFEST) or manifest.render(d, manifest.FINISHED)
        steps = {s: _live_step(d, s, m["pipeline"]["steps"].get(s, {})) for s in STAGE_NAMES}
        current = next((s for s, v in steps.items() if v.get("status") == "running"), None)
        failed = next((s for s, v in steps.items() if v.get("status") == "failed"), None)
        stage = current or failed or m["pipeline"]["next_stage"] or "-"
        prog = steps[current].get("progress") if current else None
        rows.append(
            {
                "movie": d.relative_to(out_dir).as_posix(),
                # A movie of a live run with no stage running waits for a free core.
                "status": "running"
                if current
                else "failed"
                if failed
                else "queued"
                if m["pipeline"]["status"] == "running"
                else m["pipeline"]["status"],
                "stage": stage,
                "progress": f"{prog * 100:.0f}%" if prog is not None else "",
                "done": f"{len(m['pipeline']['completed_stages'])}/{len(STAGE_NAMES)}",
                "time": f"{sum(v.get('duration') or 0 for v in steps.values()):.1f}s",
                "stages": " ".join(
                    "○" if steps[s].get("outdated") else _mark(steps[s].get("status"))
                    for s in STAGE_NAMES
                ),
                "error": (steps[failed].get("error") or "") if failed else "",
                "note": "; ".join(n for n in (m["pipeline"].get("note"), _unpublished(d, m)) if n),
                **_quality(d),
            }
        )
    return rows


def _quality(movie_dir: Path) -> dict[str, Any]:
    """The report's estimate and flags (report.json, written by the report stage)."""
    rep = read_json(movie_dir / "report.json") or {}
    if rep.get("status") != "success":
        return {"quality": "", "flags": []}
    est = rep.get("estimate")
    return {"quality": "" if est is None else f"{est:.0f}", "flags": list(rep.get("flags") or [])}


def _unpublished(movie_dir: Path, m: dict[str, Any]) -> str:
    """With language: auto the language-named sidecars are no Snakemake target: one that
    was deleted does not come back on the next run. Say so, and how."""
    if m["pipeline"]["status"] != "completed":
        return ""
    beside = publish.gone_from_beside(movie_dir)
    if beside:
        return (
            f"{', '.join(p.name for p in beside)} missing beside the movie: run "
            f'snakemake --cores 1 "{(movie_dir / publish.REPORT).as_posix()}" --forcerun publish'
        )
    gone = publish.missing(movie_dir)
    if not gone:
        return ""
    return (
        f"{', '.join(p.name for p in gone)} missing: copy it from subtitles/, or run "
        # The target first: --forcerun takes every word after it as a rule name, so a
        # target after it would be read as a rule and every movie redone.
        f'snakemake --cores 1 "{(movie_dir / "final.mkv").as_posix()}" --forcerun mux'
    )


_MARKS = {"success": "✓", "skipped": "-", "failed": "✗", "running": "▶", "pending": "·"}


def _mark(state: str | None) -> str:
    return _MARKS.get(state or "pending", "?")


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = ["movie", "status", "stage", "progress", "done", "time", "quality", "stages"]
    head = {c: c.upper() for c in cols}
    head["stages"] = "STAGES (" + " ".join(s[:3] for s in STAGE_NAMES) + ")"
    widths = {c: max(len(str(r[c])) for r in [head, *rows]) for c in cols}
    for r in [head, *rows]:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols).rstrip())
    for r in rows:
        if r["error"]:
            print(f"{r['movie']}: {r['stage']} failed: {r['error']}")
        elif r["note"]:
            print(f"{r['movie']}: {r['note']}")
        if r["flags"]:  # where the subtitles need a look (report.html says more)
            print(f"{r['movie']}: check: {', '.join(r['flags'])}")


def output_dir(args: argparse.Namespace) -> Path:
    """The folder to read: given as is, else `output_dir` from the config the way
    Snakemake builds it: ./config.yaml, then each --configfile, then --config."""
    if args.out:
        return Path(args.out)
    import yaml

    cfg: dict[str, Any] = {}
    if Path("config.yaml").is_file():  # the workflow's own `configfile:`
        cfg.update(yaml.safe_load(Path("config.yaml").read_text(encoding="utf-8")) or {})
    for f in args.configfile or []:
        try:
            cfg.update(yaml.safe_load(Path(f).read_text(encoding="utf-8")) or {})
        except FileNotFoundError:
            raise SystemExit(f"subsmith status: {f}: no such config file") from None
    for item in args.config or []:
        key, eq, value = item.partition("=")
        if eq:
            cfg[key] = yaml.safe_load(value) if value else value
    return Path(str(cfg.get("output_dir") or "out"))


def cmd_status(args: argparse.Namespace) -> int:
    out = output_dir(args)
    if args.watch:
        return watch(out, args.watch)
    rows = movie_rows(out)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print(f"no movies under {out}/ yet")
    else:
        print_table(rows)
    return 1 if any(r["status"] == "failed" for r in rows) else 0


def watch(out: Path, every: float) -> int:
    """Redraw the table every few seconds until no movie is running (Ctrl-C stops)."""
    import time

    try:
        while True:
            rows = movie_rows(out)
            print("\033[2J\033[H", end="")
            print(time.strftime("%H:%M:%S"), f"{out}/")
            if rows:
                print_table(rows)
            else:
                print(f"no movies under {out}/ yet")
            if rows and not any(r["status"] in ("running", "queued") for r in rows):
                return 1 if any(r["status"] == "failed" for r in rows) else 0
            time.sleep(every)
    except KeyboardInterrupt:
        return 130


def cmd_show_demo(args: argparse.Namespace) -> int:
    """What `make demo` prints at the end: the streams of final.mkv and its subtitles."""
    d = Path(args.movie_dir)
    mkv = d / "final.mkv"
    if shutil.which("ffprobe"):
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-show_entries",
                "stream=index,codec_type,codec_name:stream_tags=language,title",
                "-of",
                "compact=p=0",
                "file:" + str(mkv.resolve()),
            ],
            check=False,
        )
    who = d / "diarization" / "speakers.json"
    if who.exists():  # the demo's two voices: where they share a cue, dialogue dashes
        found = json.loads(who.read_text(encoding="utf-8"))
        print(f"\nspeakers: {found.get('num_speakers', 0)} ({found.get('status')})")
    for srt in sorted(d.glob("*.srt")):
        print(f"\n--- {srt} ---\n{srt.read_text(encoding='utf-8')}")
    print_table(movie_rows(d.parent))
    return 0


def cmd_check_srt(args: argparse.Namespace) -> int:
    """Report every cue that breaks a rule; exit 1 when any file has errors."""
    from .core import settings
    from .subtitles import SubtitleRules, check_file

    try:
        # config.yaml's rules, with the given file's over them (as the workflow merges it).
        rules = SubtitleRules.from_config(settings.load(args.config)["srt_generation"])
    except Exception as exc:  # noqa: BLE001 - a bad config file is one line, not a traceback
        print(f"{args.config}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    failed = False
    for path in args.files:
        report = check_file(path, rules)
        for line in report.errors:
            print(f"{path}: error: {line}")
        if args.verbose:
            for line in report.warnings:
                print(f"{path}: warning: {line}")
        print(report.summary())
        failed = failed or not report.ok
    return 1 if failed else 0


def cmd_report_index(args: argparse.Namespace) -> int:
    """Rewrite out/index.html from every movie's manifest.json and report.json."""
    from .report import write_index

    out = output_dir(args)
    if not out.is_dir():
        print(f"subsmith report-index: {out}: no such folder", file=sys.stderr)
        return 1
    print(write_index(out))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="subsmith", description="subsmith: subtitles for a movie library"
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("status", help="each movie's stages, current stage and progress")
    s.add_argument(
        "out",
        nargs="?",
        help="the output folder (default: output_dir of the config, as Snakemake reads it)",
    )
    s.add_argument(
        "--configfile", nargs="+", metavar="FILE", help="config files, as given to snakemake"
    )
    s.add_argument(
        "--config", nargs="+", metavar="KEY=VALUE", help="config values, as given to snakemake"
    )
    s.add_argument("--json", action="store_true", help="machine-readable rows")
    s.add_argument(
        "--watch", type=float, metavar="SECONDS", help="redraw every SECONDS until the run ends"
    )
    s.set_defaults(func=cmd_status)
    c = sub.add_parser(
        "check-srt",
        help="check SRT files against the subtitle rules (line length, lines, duration, "
        "gaps, overlaps, parse errors); exit 1 on errors",
    )
    c.add_argument("files", nargs="+")
    c.add_argument("--config", help="a config.yaml whose `srt_generation:` rules to use")
    c.add_argument("-v", "--verbose", action="store_true", help="also list reading-speed warnings")
    c.set_defaults(func=cmd_check_srt)
    r = sub.add_parser(
        "report-index",
        help="write <output folder>/index.html: every movie, its quality estimate and flags, "
        "linking to its report.html",
    )
    r.add_argument("out", nargs="?", help="the output folder (default: as for status)")
    r.add_argument("--configfile", nargs="+", metavar="FILE", help="config files, as for status")
    r.add_argument("--config", nargs="+", metavar="KEY=VALUE", help="config values, as for status")
    r.set_defaults(func=cmd_report_index)
    d = sub.add_parser("show-demo", help=argparse.SUPPRESS)
    d.add_argument("movie_dir")
    d.set_defaults(func=cmd_show_demo)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
