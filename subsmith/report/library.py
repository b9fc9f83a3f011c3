"""out/index.html: one row per movie, sortable, each linking to its report.html.

Built from the small files each movie already has (manifest.json, report.json), never
from transcripts, so a 500-movie library's page costs milliseconds per movie and can
be rewritten at the end of every run. Written by `subsmith report-index` and by the
workflow's end hook, which must never fail a run: `write_index_quietly`.
"""

from __future__ import annotations

import os
import sys
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..core.jsonio import read_json
from ..harness import manifest
from .timeline import clock

INDEX = "index.html"
REPORT_HTML = "report.html"
REPORT_JSON = "report.json"


def library_rows(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Each movie's row: status from its manifest, the rest from its report.json."""
    out = Path(out_dir)
    rows = []
    for d in manifest.movie_dirs(out):
        m = read_json(d / manifest.MANIFEST) or manifest.render(d, manifest.FINISHED)
        rep = read_json(d / REPORT_JSON) or {}
        ok = rep.get("status") == "success"
        rel = d.relative_to(out).as_posix()
        rows.append(
            {
                "movie": rel,
                "status": m["pipeline"]["status"],
                "duration": rep.get("duration") or (m.get("input") or {}).get("duration"),
                "speech_minutes": round(rep["speech_seconds"] / 60, 1) if ok else None,
                "speakers": rep.get("speakers") if ok else None,
                "cues": rep.get("cue_count") if ok else None,
                "estimate": rep.get("estimate") if ok else None,
                "flags": list(rep.get("flags") or [])
                if ok
                else ([f"no report: {rep.get('reason')}"] if rep.get("reason") else []),
                "report": f"{rel}/{REPORT_HTML}" if (d / REPORT_HTML).exists() else None,
            }
        )
    return rows


def _cell(value: Any, text: str | None = None) -> str:
    """A cell sorted by `value` (data-v) and showing `text`."""
    key = "" if value is None else str(value)
    shown = text if text is not None else ("-" if value is None else escape(str(value)))
    return f'<td data-v="{escape(key)}">{shown}</td>'


SCRIPT = """
document.querySelectorAll('th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0], rows = Array.from(body.rows);
    var dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir > 0 ? 'asc' : 'desc';
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y);
      if (x === '') return 1; if (y === '') return -1;
      return dir * (isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def render_index(rows: list[dict[str, Any]]) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in ("movie", "status", "duration", "speech min", "speakers", "cues", "estimate")
    )
    body = []
    for r in rows:
        name = escape(r["movie"])
        link = f'<a href="{escape(quote(r["report"]))}">{name}</a>' if r["report"] else name
        flags = "".join(f'<span class="flag">{escape(f)}</span>' for f in r["flags"])
        dur = r["duration"]
        body.append(
            "<tr>"
            + _cell(r["movie"], link)
            + _cell(r["status"])
            + _cell(dur, "-" if dur is None else clock(dur))
            + _cell(r["speech_minutes"])
            + _cell(r["speakers"])
            + _cell(r["cues"])
            + _cell(r["estimate"], "-" if r["estimate"] is None else f"{r['estimate']:.0f}")
            + _cell(len(r["flags"]), flags or "-")
            + "</tr>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>subsmith library</title><style>
body{{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222}}
table{{border-collapse:collapse}} td,th{{padding:3px 8px;border-bottom:1px solid #eee;
text-align:left}} th{{background:#f3f3f3;cursor:pointer;user-select:none}}
.flag{{display:inline-block;background:#fde2e1;color:#8a1c16;border-radius:3px;
padding:0 6px;margin:1px 2px}}
</style></head><body>
<h1>subsmith library: {len(rows)} movies</h1>
<p>Estimate: the share of the dialogue the subtitles likely get right (0-100), from the
decoder's word confidence, the speech no cue covers and the language's certainty. Click
a column to sort; the flags say where to look first.</p>
<table><thead><tr>{head}<th>flags</th></tr></thead>
<tbody>{"".join(body)}</tbody></table>
<script>{SCRIPT}</script>
</body></html>
"""


def write_index(out_dir: str | os.PathLike[str]) -> Path:
    """Write out/index.html (atomically: a reader never sees half a page)."""
    out = Path(out_dir)
    path = out / INDEX
    text = render_index(library_rows(out))
    tmp = out / f".tmp-{INDEX}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_index_quietly(out_dir: str | os.PathLike[str]) -> None:
    """The end-of-run hook's call: any failure is one line on stderr, never the run's."""
    try:
        if Path(out_dir).is_dir():
            write_index(out_dir)
    except Exception as exc:  # noqa: BLE001 - the library page must never fail a run
        print(f"subsmith: cannot write {out_dir}/{INDEX}: {exc}", file=sys.stderr)
