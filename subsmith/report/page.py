"""report.html: one self-contained page per movie (no network: inline CSS, SVG and a few
lines of inline JS), and report.json, the summary the library page and `subsmith
status` read, so neither has to open a transcript."""

from __future__ import annotations

from html import escape
from typing import Any

from ..harness.status import now_iso
from . import quality as Q
from .movie import Movie, MovieFiles, load
from .timeline import ROW_SECONDS, clock, speaker_colours, strips

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;max-width:1250px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:18px 0 6px}
table{border-collapse:collapse} td,th{padding:2px 8px;border-bottom:1px solid #eee;
text-align:left;vertical-align:top} th{background:#f3f3f3}
.facts td:first-child{color:#666;white-space:nowrap} .flag{display:inline-block;
background:#fde2e1;color:#8a1c16;border-radius:3px;padding:0 6px;margin:1px 2px}
td:nth-child(3){white-space:nowrap} .ok{background:#e3f4e1;color:#1c6a16} .est{font-size:28px;font-weight:600}
svg{display:block;margin:0 0 10px;font:10px system-ui,sans-serif}
svg .tick{stroke:#ddd} svg .t{fill:#555} svg .l{fill:#333}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
.bar{background:#6a8caf;height:10px} tr.flagged td{background:#fff6e5}
.cols{display:flex;gap:24px;flex-wrap:wrap}
"""


def _flags(flags: list[str]) -> str:
    """The movie's flags as badges; "no flags" said outright, so a clean movie reads as one."""
    if not flags:
        return '<span class="flag ok">no flags</span>'
    return "".join(f'<span class="flag">{escape(f)}</span>' for f in flags)


def _table(rows: list[tuple[str, str]], cls: str = "facts") -> str:
    body = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="{cls}">{body}</table>'


def _speed_bins(cps: list[float], max_cps: float) -> str:
    """Reading speed, cues per band of characters per second, as bars."""
    edges = [0.0, 5.0, 10.0, 15.0, max_cps, float("inf")]
    counts = [sum(1 for v in cps if lo <= v < hi) for lo, hi in zip(edges, edges[1:], strict=False)]
    top = max(counts) or 1
    rows = []
    for (lo, hi), n in zip(zip(edges, edges[1:], strict=False), counts, strict=True):
        band = f"{lo:g}+ cps" if hi == float("inf") else f"{lo:g}-{hi:g} cps"
        bar = f'<div class="bar" style="width:{200 * n / top:.0f}px"></div>'
        rows.append(f"<tr><td>{band}</td><td>{n}</td><td>{bar}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def _facts(movie: Movie, q: Q.Quality, colours: dict[str, str]) -> list[tuple[str, str]]:
    media, tr, diar = movie.media, movie.transcript, movie.diarization
    track = media.get("audio_stream") or {}
    det = tr.get("language_detection") or {}
    lang = escape(str(tr.get("language") or "?"))
    if tr.get("language_probability") is not None:
        lang += f" (probability {float(tr['language_probability']):.2f}"
        if det.get("probability") is not None:
            lang += f"; detected over {len(det.get('windows') or [])} windows"
        lang += ")"
    if diar.get("status", "success") == "success" and diar:
        who = f"{diar.get('num_speakers', len(q.speaker_seconds))}: " + ", ".join(
            f'<span class="sw" style="background:{colours.get(s, "#999")}"></span>'
            f"{escape(s)} {v / 60:.1f} min"
            for s, v in q.speaker_seconds.items()
        )
    else:
        who = escape(f"not known ({diar.get('reason') or 'no diarization'})")
    return [
        ("input", escape(str(media.get("input") or movie.name))),
        ("duration", clock(movie.duration)),
        ("audio track", escape(str(track.get("choice") or "?"))),
        ("downmix", escape(str(track.get("downmix") or "-"))),
        ("language", lang),
        ("model", escape(f"{tr.get('model', '?')} on {tr.get('device', '?')}")),
        ("speakers", who),
        ("speech", f"{q.speech_seconds / 60:.1f} min, {q.uncovered_seconds:.0f} s without a cue"),
        ("cues", f"{len(q.cues)} ({sum(1 for c in q.cues if c.flags)} flagged)"),
        ("unsure words", f"{len(q.unsure_words)} (probability below {Q.UNSURE_WORD:g})"),
        ("names corrected", str(len(movie.corrections))),
        ("hallucinations dropped", str(q.dropped)),
    ]


def _steps(movie: Movie) -> str:
    """Every stage's status, time and notes: a skipped stage's reason explains a lane that
    is empty (no speakers when diarization was off, no names without metadata)."""
    rows = []
    for name, st in movie.steps.items():
        if name == "report":
            continue  # this page: running while it is written
        dur = st.get("duration")
        note = escape(st.get("notes") or "")
        if st.get("error"):
            note += f"<br><b>{escape(st['error'])}</b>"
        rows.append(
            f"<tr><td>{escape(name)}</td><td>{escape(str(st.get('status')))}</td>"
            f"<td>{'' if dur is None else f'{dur:.1f} s'}</td><td>{note}</td></tr>"
        )
    head = "<tr><th>stage</th><th>status</th><th>time</th><th>notes</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _cue_table(q: Q.Quality, colours: dict[str, str]) -> str:
    """Every cue with its score and flags; each row is the target of its cue's link on the
    timeline, so a flagged cue is one click from its text."""
    head = (
        "<tr><th>#</th><th>time</th><th>speaker</th><th>score</th><th>cue</th><th>flags</th></tr>"
    )
    rows = []
    for c in q.cues:
        sw = (
            f'<span class="sw" style="background:{colours.get(c.speaker or "", "#b0b0b0")}"></span>'
        )
        rows.append(
            f'<tr id="cue-{c.index}"{" class=flagged" if c.flags else ""}><td>{c.index}</td>'
            f"<td>{clock(c.start)}</td><td>{sw}{escape(c.speaker or '-')}</td>"
            f"<td>{'-' if c.score is None else f'{c.score:.0f}'}</td><td>{escape(c.text)}</td>"
            f"<td>{escape('; '.join(c.flags))}</td></tr>"
        )
    return f'<table id="cues">{head}{"".join(rows)}</table>'


SCRIPT = """
document.getElementById('only').addEventListener('change', function (e) {
  document.querySelectorAll('#cues tr[id]').forEach(function (r) {
    r.style.display = e.target.checked && !r.classList.contains('flagged') ? 'none' : '';
  });
});
"""


def render(
    movie: Movie, q: Q.Quality, row_seconds: float = ROW_SECONDS, max_cps: float = 20.0
) -> str:
    """The whole page: estimate and flags first (what a reader of 500 movies needs), then
    the facts, the timeline, the stages and the cues."""
    colours = speaker_colours(movie, q)
    est = "-" if q.estimate is None else f"{q.estimate:.0f}"
    legend = (
        "Lanes: loudness (dBFS), Silero's speech, each speaker's turns, the cues (coloured "
        "by speaker, outlined when flagged; hover for the text, click for its row), speech "
        "no cue covers (red) and silent audio (grey), words the decoder was unsure of "
        "(orange) and names corrected (blue)."
    )
    how = (
        f"estimate = 100 &times; confidence {q.confidence if q.confidence is not None else '-'}"
        f" &times; coverage {q.coverage if q.coverage is not None else '-'}"
        f" &times; language {q.language_factor} (subsmith/report/quality.py)"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(movie.name)}: subtitle report</title><style>{CSS}</style></head>
<body>
<h1>{escape(movie.name)}</h1>
<div class="cols"><div><div class="est">{est}</div><div>{how}</div>
<p>{_flags(q.flags)}</p>{_table(_facts(movie, q, colours))}</div>
<div><h2>Reading speed</h2>{_speed_bins(q.cps, max_cps)}</div></div>
<h2>Timeline</h2><p>{legend}</p>
{"".join(strips(movie, q, row_seconds))}
<h2>Stages</h2><p>As recorded when this page was made ({now_iso()[:19]} UTC);
manifest.json has the latest.</p>{_steps(movie)}
<h2>Cues</h2><label><input type="checkbox" id="only"> only flagged cues</label>
{_cue_table(q, colours)}
<script>{SCRIPT}</script>
</body></html>
"""


def build_report(
    files: MovieFiles,
    *,
    max_cps: float = 20.0,
    row_seconds: float = ROW_SECONDS,
    steps: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """(report.html's text, report.json's data) for one movie."""
    movie = load(files, steps)
    q = Q.assess(movie, max_cps)
    page = render(movie, q, row_seconds, max_cps)
    summary = {
        "status": "success",
        "movie": movie.name,
        "duration": round(movie.duration, 1),
        "language": movie.transcript.get("language"),
        "language_probability": movie.transcript.get("language_probability"),
        "speakers": len(q.speaker_seconds) or None,
        **q.summary(),
    }
    return page, summary
