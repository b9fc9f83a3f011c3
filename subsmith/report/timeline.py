"""The timeline picture: inline SVG, one strip per ROW_SECONDS of the movie.

Inline SVG rather than a plotted PNG: it needs no plotting library, stays sharp at any
zoom, and each cue carries its text as a tooltip and links to its line in the cue
table. Lanes, top to bottom: loudness, Silero's speech, one lane per speaker, the cues
(coloured by speaker), then the trouble lane (speech no cue covers, long silences) and
the word marks (words the decoder was unsure of, names post_ner corrected).
"""

from __future__ import annotations

import math
from html import escape

from .movie import LOUDNESS_STEP, SILENT_DB, Movie
from .quality import Quality

ROW_SECONDS = 600.0  # ten minutes a strip: a 2-hour film is twelve readable strips
WIDTH = 1100  # px of time per strip
LEFT = 96  # px for the lane labels
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
)
NO_SPEAKER = "#b0b0b0"
UNCOVERED = "#d62728"
SILENCE = "#cfcfcf"
UNSURE = "#ff9900"
NAME = "#0050d0"


def clock(t: float) -> str:
    """h:mm:ss (or m:ss) of a time in seconds."""
    t = max(0, int(t))
    h, m, s = t // 3600, t // 60 % 60, t % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def speaker_colours(movie: Movie, quality: Quality) -> dict[str, str]:
    names = sorted(
        {t["speaker"] for t in movie.turns} | {c.speaker for c in quality.cues if c.speaker}
    )
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1.0):.1f}" height="{h}" fill="{fill}">'
        f"{title}</rect>"
    )


def strips(movie: Movie, quality: Quality, row_seconds: float = ROW_SECONDS) -> list[str]:
    """One <svg> per strip of the movie (a short movie is one strip of its own length)."""
    span = min(row_seconds, max(10.0, math.ceil(movie.duration)))
    # A last strip of a few seconds is folded into the one before it (a 10:02 movie is
    # one strip, a little denser).
    count = max(1, math.ceil(movie.duration / span - 0.05))
    colours = speaker_colours(movie, quality)
    return [
        _strip(movie, quality, colours, i * span, max(span, movie.duration - i * span))
        if i == count - 1
        else _strip(movie, quality, colours, i * span, span)
        for i in range(count)
    ]


def _strip(movie: Movie, q: Quality, colours: dict[str, str], t0: float, span: float) -> str:
    t1 = t0 + span
    scale = WIDTH / span

    def x(t: float) -> float:
        return LEFT + (min(max(t, t0), t1) - t0) * scale

    def inside(a: float, b: float) -> bool:
        return b > t0 and a < t1

    parts: list[str] = []
    y = 0
    lanes: list[tuple[str, int, int]] = []  # (label, y, height)

    # time axis: a tick per minute (per 10 s on a short movie)
    step = 60 if span > 120 else 10
    ticks = []
    for k in range(int(t0 // step), int(t1 // step) + 1):
        t = k * step
        if t0 <= t <= t1:
            ticks.append(
                f'<line x1="{x(t):.1f}" y1="12" x2="{x(t):.1f}" y2="HEIGHT" class="tick"/>'
                f'<text x="{x(t) + 2:.1f}" y="10" class="t">{clock(t)}</text>'
            )
    parts.extend(ticks)
    y = 14

    # loudness: an area from the floor up, -60 dBFS (bottom) to 0 (top)
    h = 30
    lanes.append(("loudness", y, h))
    i0, i1 = int(t0 / LOUDNESS_STEP), int(math.ceil(t1 / LOUDNESS_STEP))
    levels = movie.loudness[i0:i1]
    if levels:
        pts = [f"{x(t0):.1f},{y + h}"]
        for k, db in enumerate(levels):
            t = (i0 + k + 0.5) * LOUDNESS_STEP
            v = (max(-60.0, max(db, SILENT_DB)) + 60) / 60
            pts.append(f"{x(t):.1f},{y + h - v * h:.1f}")
        pts.append(f"{x(t0 + len(levels) * LOUDNESS_STEP):.1f},{y + h}")
        parts.append(f'<polygon points="{" ".join(pts)}" fill="#6a8caf"/>')
    else:
        parts.append(f'<text x="{LEFT + 4}" y="{y + 18}" class="t">no audio.wav</text>')
    y += h + 4

    h = 10
    lanes.append(("speech", y, h))
    for r in movie.speech:
        if inside(r["start"], r["end"]):
            parts.append(_rect(x(r["start"]), y, x(r["end"]) - x(r["start"]), h, "#4caf50"))
    y += h + 4

    for name, colour in colours.items():
        lanes.append((name, y, h))
        for t in movie.turns:
            if t["speaker"] == name and inside(t["start"], t["end"]):
                parts.append(_rect(x(t["start"]), y, x(t["end"]) - x(t["start"]), h, colour))
        y += h + 2
    y += 2

    h = 18
    lanes.append(("cues", y, h))
    for c in q.cues:
        if inside(c.start, c.end):
            fill = colours.get(c.speaker or "", NO_SPEAKER)
            tip = (
                f"#{c.index} {clock(c.start)} {c.speaker or ''} score "
                f"{'-' if c.score is None else f'{c.score:.0f}'}: {c.text}"
                + (f" [{'; '.join(c.flags)}]" if c.flags else "")
            )
            rect = _rect(x(c.start), y, x(c.end) - x(c.start), h, fill, tip)
            stroke = ' stroke="#000" stroke-width="1.5"' if c.flags else ""
            parts.append(
                f'<a href="#cue-{c.index}">{rect.replace("<rect ", f"<rect{stroke} ", 1)}</a>'
            )
    y += h + 4

    h = 12
    lanes.append(("no cue / silent", y, h))
    for a, b in q.silences:
        if inside(a, b):
            parts.append(_rect(x(a), y, x(b) - x(a), h, SILENCE, f"silent {clock(a)}-{clock(b)}"))
    for a, b in q.uncovered:
        if inside(a, b):
            tip = f"speech with no cue {clock(a)}-{clock(b)} ({b - a:.1f} s)"
            parts.append(_rect(x(a), y, x(b) - x(a), h, UNCOVERED, tip))
    y += h + 4

    lanes.append(("unsure / names", y, h))
    for w in q.unsure_words:
        if inside(w["start"], w["end"]):
            tip = f"{clock(w['start'])} {w['word']!r} p={w['p']:.2f}"
            parts.append(_rect(x(w["start"]), y, 2, h // 2, UNSURE, tip))
    for c in movie.corrections:
        a = float(c.get("start", 0.0))
        if t0 <= a < t1:
            tip = f"{clock(a)} name: {c.get('from')!r} -> {c.get('to')!r}"
            parts.append(_rect(x(a), y + h // 2, 2, h // 2, NAME, tip))
    y += h + 4

    labels = [
        f'<text x="2" y="{ly + min(lh, 12) - 1}" class="l">{escape(name[:16])}</text>'
        for name, ly, lh in lanes
    ]
    height = y
    body = "".join(parts).replace('y2="HEIGHT"', f'y2="{height}"')
    return (
        f'<svg width="{LEFT + WIDTH + 4}" height="{height}" '
        f'viewBox="0 0 {LEFT + WIDTH + 4} {height}" role="img" '
        f'aria-label="{clock(t0)} to {clock(t1)}">'
        f'<rect x="{LEFT}" y="0" width="{WIDTH}" height="{height}" fill="#fafafa"/>'
        f"{body}{''.join(labels)}</svg>"
    )
