"""Quick exchanges spliced from real voices, and the counts and statistics of
bench/dashes_exchanges.py (cue_stats, wilson).

From a recording's reference turns, `clips` cuts single-speaker stretches (spans where
one reference speaker talks and no other turn lies within MARGIN_S), split and trimmed at
Silero's pauses so no word is cut where a pause allows; `splice` lays one meeting's
clips end to end as a two-shot scene: consecutive clips always from different speakers,
gaps drawn from GAP_S, a seeded shuffle. Same room, same microphone: the diarization
cannot tell the speakers apart by the channel.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np

from subsmith.subtitles.text import ends_sentence

RATE = 16000
MARGIN_S = 0.1  # no other speaker's turn this close to a stretch
MIN_CLIP_S = 0.4  # shorter stretches are left out ("Yeah." still fits)
GAP_S = (0.15, 0.8)  # the pause between two speakers' lines
LINE_CAPS_S = (1.0, 2.5, 5.0)  # a line joins pauses up to one of these (drawn): short and long
LEAD_S = 0.5  # silence before the first and after the last line
SEED = 28  # issue 28


def read_rttm(path: Path) -> dict[str, list[dict]]:
    """{file stem: [{start, end, speaker}]} from an RTTM file."""
    turns: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split()
        if len(f) < 8 or f[0] != "SPEAKER":
            continue
        start, dur = float(f[3]), float(f[4])
        turns.setdefault(f[1], []).append({"start": start, "end": start + dur, "speaker": f[7]})
    return turns


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _minus(spans: list[tuple[float, float]], holes: list[tuple[float, float]]):
    """spans with the holes (merged, sorted) taken out."""
    out = []
    for a, b in spans:
        pieces = [(a, b)]
        for h0, h1 in holes:
            pieces = [
                p
                for x, y in pieces
                for p in ((x, min(y, h0)), (max(x, h1), y))
                if p[1] - p[0] > 1e-6
            ]
        out += pieces
    return out


def stretches(turns: list[dict], margin: float = MARGIN_S) -> list[tuple[str, float, float]]:
    """(speaker, start, end) where exactly that reference speaker talks, every other
    speaker's turn at least `margin` seconds away, in time order."""
    out = []
    for who in sorted({t["speaker"] for t in turns}):
        own = _merge([(t["start"], t["end"]) for t in turns if t["speaker"] == who])
        others = _merge(
            [(t["start"] - margin, t["end"] + margin) for t in turns if t["speaker"] != who]
        )
        out += [(who, a, b) for a, b in _minus(own, others)]
    return sorted(out, key=lambda s: s[1])


def clips(
    turns: list[dict], regions: list[dict], rng: random.Random
) -> list[tuple[str, float, float]]:
    """(speaker, start, end) lines cut from the single-speaker stretches: each stretch's
    speech (its overlap with Silero's regions, so it starts and ends at a pause where the
    pause lies inside it), its pauses joined into lines up to a drawn length (LINE_CAPS_S),
    lines under MIN_CLIP_S left out."""
    out = []
    for who, a, b in stretches(turns):
        parts = [
            (max(a, r["start"]), min(b, r["end"]))
            for r in regions
            if min(b, r["end"]) - max(a, r["start"]) > 0.05
        ]
        line: list[tuple[float, float]] = []
        cap = rng.choice(LINE_CAPS_S)
        for p in parts + [None]:
            if p is not None and (not line or p[1] - line[0][0] <= cap):
                line.append(p)
                continue
            if line and line[-1][1] - line[0][0] >= MIN_CLIP_S:
                out.append((who, line[0][0], line[-1][1]))
            line, cap = ([p] if p else []), rng.choice(LINE_CAPS_S)
    return out


def meetings(refs: dict[str, list[dict]]) -> list[list[str]]:
    """The recordings grouped by meeting: files that share a speaker label (ami-train's
    excerpts of one AMI meeting: same room, same microphone mix) are one group."""
    groups: list[tuple[set[str], list[str]]] = []
    for stem in sorted(refs):
        who = {t["speaker"] for t in refs[stem]}
        joined = [g for g in groups if g[0] & who]
        for g in joined:
            groups.remove(g)
            who |= g[0]
        groups.append((who, sorted([stem] + [s for g in joined for s in g[1]])))
    return sorted(g[1] for g in groups)


def splice(
    samples: dict[str, np.ndarray], lines: list[tuple[str, str, float, float]], rng: random.Random
) -> tuple[np.ndarray, list[dict]]:
    """The lines laid end to end, consecutive lines from different speakers (the speaker
    with the most lines left goes next, ties drawn), gaps from GAP_S: (audio, reference
    turns of the spliced audio). Once one speaker is left, its lines follow each other
    (a pause within one speaker: the place for a false dash)."""
    pool: dict[str, list[tuple[str, float, float]]] = {}
    for stem, who, a, b in lines:
        pool.setdefault(who, []).append((stem, a, b))
    for spans in pool.values():
        rng.shuffle(spans)
    parts = [np.zeros(int(LEAD_S * RATE), np.float32)]
    t, last, ref = LEAD_S, None, []
    while True:
        can = [w for w in sorted(pool) if pool[w] and w != last]
        can = can or [w for w in sorted(pool) if pool[w]]  # only one speaker left: a pause
        if not can:
            break
        most = max(len(pool[w]) for w in can)
        who = rng.choice([w for w in can if len(pool[w]) == most])
        stem, a, b = pool[who].pop()
        if ref:
            gap = rng.uniform(*GAP_S)
            parts.append(np.zeros(int(round(gap * RATE)), np.float32))
            t += int(round(gap * RATE)) / RATE
        piece = samples[stem][int(round(a * RATE)) : int(round(b * RATE))]
        parts.append(piece.astype(np.float32))
        ref.append({"start": t, "end": t + len(piece) / RATE, "speaker": who})
        t += len(piece) / RATE
        last = who
    parts.append(np.zeros(int(LEAD_S * RATE), np.float32))
    return np.concatenate(parts), ref


def cue_stats(cues: list[dict]) -> dict[str, int]:
    """Counts over cues: dashed, right (dashed with >= 2 reference speakers), two (cues
    with >= 2), two_sent (those whose every reference change follows a sentence end),
    and the dashes among each."""
    c = dict.fromkeys(("cues", "dashed", "right", "two", "two_dash", "sent", "sent_dash"), 0)
    for cue in cues:
        known = [(r, t) for r, t in zip(cue["refs"], cue["texts"], strict=True) if r]
        two = len({r for r, _ in known}) >= 2
        between = all(
            ends_sentence(known[k - 1][1])
            for k in range(1, len(known))
            if known[k][0] != known[k - 1][0]
        )
        c["cues"] += 1
        c["dashed"] += cue["dashed"]
        c["right"] += cue["dashed"] and two
        c["two"] += two
        c["two_dash"] += two and cue["dashed"]
        c["sent"] += two and between
        c["sent_dash"] += two and between and cue["dashed"]
    return c


def add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b[k] for k in b}


def wilson(x: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of x successes in n trials (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def pct(x: int, n: int, interval: bool = False) -> str:
    """ "93 % (14/15)", with the Wilson 95 % interval when asked; "-" when n is 0."""
    if not n:
        return "-"
    text = f"{100 * x / n:.0f} % ({x}/{n})"
    if interval:
        lo, hi = wilson(x, n)
        text += f" [{100 * lo:.0f}-{100 * hi:.0f}]"
    return text


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
