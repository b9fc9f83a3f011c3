"""report: report.html (the movie's timeline and where its subtitles can be trusted) and
report.json (its summary). Optional: a failure is recorded skipped with a placeholder page."""

from pathlib import Path

from subsmith.core.jsonio import write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.report import build_report
from subsmith.report.movie import MovieFiles


def body(ctx):
    i = ctx.input
    files = MovieFiles(
        movie_dir=Path(ctx.output.html).parent,
        srt=Path(i.srt),
        wav=Path(i.wav),
        media=Path(i.media),
        silero=Path(i.segments),
        speakers=Path(i.speakers),
        transcript=Path(i.transcript),
        corrected=Path(i.corrected),
    )
    page, summary = build_report(
        files,
        max_cps=float(ctx.params.max_cps),
        row_seconds=60 * float(ctx.params.report["row_minutes"]),
    )
    tmp = Path(ctx.output.html).with_name(".tmp-report.html")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(ctx.output.html)
    write_json_atomic(ctx.output.summary, summary)
    est = summary["estimate"]
    ctx.note(
        f"estimate {'-' if est is None else f'{est:.0f}'}; "
        + (", ".join(summary["flags"]) or "no flags")
    )


run_stage(snakemake, "report", body)
