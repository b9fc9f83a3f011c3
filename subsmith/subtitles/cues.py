"""Turn Whisper word timestamps into subtitle cues: segmentation and line breaking.

The segmentation follows the conventions professional subtitlers work by (Netflix
Timed Text Style Guide, BBC subtitle guidelines): short lines, at most two of them,
cues that end where the sentence or clause ends, lines broken where the grammar
allows, and timings long enough to be read. Only the standard library is used so
that this module can be tested, and reused by the other stages, without the ASR
stack installed.

All timing work is done in integer milliseconds: SRT has millisecond precision,
so computing in ms means that what the checker validates is exactly what
srt.to_srt writes, with no float drift between the two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate, combinations
from typing import Any

from .. import speakers
from ..settings import options

__all__ = ["Cue", "SubtitleRules", "build_cues", "layout_lines", "to_ms"]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SubtitleRules:
    """The style limits a cue is built and checked against (the `srt_generation:` section of
    config.yaml holds their values: Netflix English)."""

    max_line_chars: int
    max_lines: int
    min_duration: float  # seconds
    max_duration: float
    min_gap: float  # seconds between cues (2 frames at 24 fps)
    max_cps: float  # reading speed target, characters per second (soft)
    max_pause: float  # a cue never spans a silence between words longer than this

    def __post_init__(self) -> None:
        # Fail at config load, not deep inside segmentation with a confusing result.
        problems = []
        if self.max_line_chars < 1:
            problems.append("max_line_chars must be >= 1")
        if self.max_lines < 1:
            problems.append("max_lines must be >= 1")
        if not 0 < self.min_duration <= self.max_duration:
            problems.append("need 0 < min_duration <= max_duration")
        if self.min_gap < 0:
            problems.append("min_gap must be >= 0")
        if self.max_cps <= 0:
            problems.append("max_cps must be > 0")
        if self.max_pause <= 0:
            problems.append("max_pause must be > 0")
        if problems:
            raise ValueError("invalid subtitle rules: " + "; ".join(problems))

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> SubtitleRules:
        """The rules of the `srt_generation:` config section (its other keys are ignored)."""
        return options(cls, cfg, "srt_generation")


@dataclass
class Cue:
    """One subtitle: times in movie seconds, text already broken into lines."""

    start: float
    end: float
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Word:
    text: str
    start: int  # ms
    end: int  # ms
    segment: int | None
    speaker: str | None = None


# ----------------------------------------------------------------- linguistics

_SENTENCE_END = re.compile(r"(?:[.?!]|\u2026)[\"'\u201d\u2019)\]]*$")
_CLAUSE_END = re.compile(r"(?:[,;:]|\u2014|\u2013|--)[\"'\u201d\u2019)\]]*$")
_STRIP = "\"'\u201c\u201d\u2018\u2019()[]{}.,;:!?\u2026\u2014\u2013-"

# Abbreviations whose period does not end a sentence, so they are no cue boundary.
_ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "prof.", "jr.", "sr.", "vs."})

# A line or cue must not end on these: the reader would wait for the noun.
_DETERMINERS = frozenset("a an the this that these those my your his her its our their".split())

# Breaking just before these keeps the clause they introduce together.
_CONNECTIVES = frozenset(
    """and but or nor so yet because that which who whom whose when where while if unless
    although though since until than as to of in on at for with from by about into onto
    over under after before between through during without against""".split()
)

# Pronoun "I" is capitalised but is not part of a name.
_PRONOUN_I = frozenset({"i", "i'm", "i'll", "i've", "i'd", "i\u2019m", "i\u2019ll", "i\u2019ve"})

_FORBIDDEN = 100.0  # cost of a break the guidelines say never to make; last resort only


def _bare(token: str) -> str:
    return token.strip(_STRIP).lower()


def _ends_sentence(token: str) -> bool:
    return bool(_SENTENCE_END.search(token)) and token.lower() not in _ABBREVIATIONS


def _ends_clause(token: str) -> bool:
    return bool(_CLAUSE_END.search(token))


def _is_capitalised(token: str) -> bool:
    core = token.lstrip(_STRIP)
    return bool(core) and core[0].isupper() and _bare(token) not in _PRONOUN_I


def _break_cost(left: str, right: str) -> float:
    """Cost of breaking (a line or a cue) between two words: low where a reader
    naturally pauses, prohibitive where it would split a noun phrase or a name."""
    if _ends_sentence(left):
        return 0.0
    if _ends_clause(left):
        return 1.0
    bare_left = _bare(left)
    if bare_left in _DETERMINERS:
        return _FORBIDDEN
    if _is_capitalised(left) and _is_capitalised(right):
        return _FORBIDDEN
    cost = 2.0 if _bare(right) in _CONNECTIVES else 4.0
    if bare_left in _CONNECTIVES:
        cost += 1.0  # "to | the house" reads worse than "| to the house"
    return cost


# ------------------------------------------------------------------ line layout


def _imbalance_cost(top: int, bottom: int, max_chars: int) -> float:
    """Balanced lines read fastest; a slightly longer bottom line (the 'pyramid')
    is what viewers are used to, so only a top-heavy split is fully penalised."""
    diff = (top - bottom) / max_chars
    if diff > 0:
        return 6.0 * diff
    return 4.0 * max(0.0, -diff - 0.1)


def _best_layout(
    lengths: Sequence[int], pair_costs: Sequence[float], rules: SubtitleRules
) -> tuple[list[int], float] | None:
    """Best line ends (exclusive token indices) and their cost, fewest lines first."""
    prefix = list(accumulate(lengths, initial=0))
    overlong = bool(lengths) and max(lengths) > rules.max_line_chars
    return _layout_span(prefix, pair_costs, 0, len(lengths), rules, overlong)


def _layout_span(
    prefix: Sequence[int],
    pair_costs: Sequence[float],
    i: int,
    j: int,
    rules: SubtitleRules,
    overlong: bool,
) -> tuple[list[int], float] | None:
    """_best_layout of tokens i..j-1 of a longer text, ends counted from i.

    Works on the whole text's prefix sums of token lengths and break costs, so that
    _segment can weigh a hundred thousand candidate cues of a feature film without
    copying a slice for each; `overlong` says whether one of the tokens is longer than
    a line. The two-line case, the only one under the default rules, has its own loop.
    """
    m = j - i
    if m == 0:
        return None
    limit = rules.max_line_chars

    def line_len(a: int, b: int) -> int:
        return prefix[b] - prefix[a] + (b - a - 1)

    def fits(a: int, b: int) -> bool:
        # A word longer than a line is the one exception: it goes alone on its line.
        return b - a == 1 or line_len(a, b) <= limit

    total = line_len(i, j)
    if m == 1 or total <= limit:
        return [m], 0.0
    for k in range(2, rules.max_lines + 1):
        if m < k:
            break
        if not overlong and total > k * limit + (k - 1):
            continue
        best: tuple[list[int], float] | None = None
        if k == 2:
            best_cost = math.inf
            best_cut = 0
            for c in range(i + 1, j):
                top = prefix[c] - prefix[i] + (c - i - 1)
                bottom = prefix[j] - prefix[c] + (j - c - 1)
                if (top > limit and c - i > 1) or (bottom > limit and j - c > 1):
                    continue
                cost = pair_costs[c - 1] + _imbalance_cost(top, bottom, limit)
                if cost < best_cost:
                    best_cost, best_cut = cost, c
            if best_cut:
                best = ([best_cut - i, m], best_cost)
        else:
            for cuts in combinations(range(i + 1, j), k - 1):
                bounds = (i, *cuts, j)
                if not all(fits(bounds[x], bounds[x + 1]) for x in range(k)):
                    continue
                lens = [line_len(bounds[x], bounds[x + 1]) for x in range(k)]
                cost = sum(pair_costs[c - 1] for c in cuts)
                cost += sum(_imbalance_cost(lens[x], lens[x + 1], limit) for x in range(k - 1))
                if best is None or cost < best[1]:
                    best = ([b - i for b in bounds[1:]], cost)
        if best is not None:
            return best
    return None


def _split_lines(tokens: Sequence[str], ends: Sequence[int]) -> list[str]:
    lines, start = [], 0
    for end in ends:
        lines.append(" ".join(tokens[start:end]))
        start = end
    return lines


def layout_lines(text: str, rules: SubtitleRules) -> list[str] | None:
    """Break cue text into lines the way a subtitler would, or None if it cannot fit.

    One line whenever it fits (fewer eye movements); otherwise the break with the
    lowest cost: after punctuation, before a connective, never inside a noun phrase
    or a name, then balanced lengths. A forbidden break is used only when no other
    break fits, because text that fits must not be rejected on style grounds.
    """
    tokens = text.split()
    if not tokens:
        return None
    pair_costs = [_break_cost(a, b) for a, b in zip(tokens, tokens[1:], strict=False)]
    found = _best_layout([len(t) for t in tokens], pair_costs, rules)
    if found is None:
        return None
    return _split_lines(tokens, found[0])


# --------------------------------------------------------------- segmentation

_CUE_COST = 1.5  # every extra cue costs something: prefer fewer, fuller cues
_BOUNDARY_WEIGHT = 2.0  # where a cue ends matters more than how its lines break
_ORPHAN_COST = 3.0  # a one-word cue flashes by and reads as a fragment
_SHORT_FILL = 0.3  # cues under this fraction of their capacity are penalised...
_SHORT_COST = 10.0  # ...proportionally to how far under it they are
_CPS_COST = 0.5  # per character per second above max_cps
_TOO_BRIEF_COST = 3.0  # the cue cannot be shown for min_duration even using the silence
_LAYOUT_WEIGHT = 0.3  # line-break quality matters, but less than the cue boundary
_MIDLINE_SENTENCE_COST = 3.0  # a sentence ending mid-line in a two-line cue hides its start
_MAX_LEAD_IN_MS = 500  # how early a cue may appear before speech just to lower reading speed
_SPEAKER_CHANGE_BONUS = 3.0  # a new speaker is the best place for a new cue...
_SHARED_CUE_COST = 2.0  # ...and two speakers share a cue only when their own cues read worse


def to_ms(seconds: float) -> int:
    """Seconds to whole milliseconds, rounding half up on the decimal value the
    user sees (so 2.0005 -> 2001 although 2.0005 * 1000 is 2000.4999...)."""
    if not math.isfinite(seconds):
        raise ValueError(f"timestamp is not a finite number: {seconds!r}")
    return int(Decimal(repr(float(seconds))).quantize(Decimal("0.001"), ROUND_HALF_UP) * 1000)


def _normalise_words(words: Sequence[Mapping[str, Any]]) -> list[_Word]:
    """Clean ASR output: whitespace, empty tokens, inverted or out-of-order times."""
    out: list[_Word] = []
    for raw in words:
        text = " ".join(str(raw.get("word", raw.get("text", "")) or "").split())
        if not text:
            continue
        try:
            start = to_ms(float(raw["start"]))
            end = to_ms(float(raw.get("end", raw["start"])))
        except (KeyError, TypeError, ValueError):
            continue  # a word without a usable time cannot be placed; drop it
        start = max(start, 0, out[-1].start if out else 0)  # keep the text order
        end = max(end, start)
        segment = raw.get("segment")
        # A word no speaker turn reached stays with the speaker before it.
        speaker = raw.get("speaker") or (out[-1].speaker if out else None)
        out.append(_Word(text, start, end, segment if isinstance(segment, int) else None, speaker))
    return out


def _boundary_cost(prev: _Word, nxt: _Word) -> float:
    """How good a cue boundary between two words is: grammar first, then
    the speaker's own pauses and the ASR segment boundaries, which usually agree."""
    cost = _break_cost(prev.text, nxt.text)
    bonus = min(1.5, 3.0 * max(0, nxt.start - prev.end) / 1000)
    if prev.segment is not None and nxt.segment is not None and prev.segment != nxt.segment:
        bonus += 2.5
    if prev.speaker != nxt.speaker:
        bonus += _SPEAKER_CHANGE_BONUS
    return max(0.0, cost - bonus)


def _segment(
    words: list[_Word], rules: SubtitleRules, dashes: bool = True
) -> list[tuple[int, int, list[str]]]:
    """Split words into cues by dynamic programming over cue boundaries.

    A greedy fill breaks wherever the line runs out, typically mid-clause; choosing
    all boundaries together lets a cue close early at a sentence end when that
    makes the following cues better, which is what a human subtitler does.
    Returns (first word, end word exclusive, lines) triples.
    """
    n = len(words)
    max_ms = to_ms(rules.max_duration)
    min_ms = to_ms(rules.min_duration)
    gap_ms = to_ms(rules.min_gap)
    pause_ms = to_ms(rules.max_pause)
    capacity = rules.max_lines * rules.max_line_chars + rules.max_lines - 1
    lengths = [len(w.text) for w in words]
    prefix = list(accumulate(lengths, initial=0))
    pair_costs = [_break_cost(a.text, b.text) for a, b in zip(words, words[1:], strict=False)]
    boundary = [_boundary_cost(a, b) for a, b in zip(words, words[1:], strict=False)]
    sentence_end = [_ends_sentence(w.text) for w in words]
    sentences = list(accumulate(sentence_end, initial=0))  # sentence ends before each word
    talkers = [w.speaker for w in words]
    turns = list(
        accumulate((a != b for a, b in zip(talkers, talkers[1:], strict=False)), initial=0)
    )

    best = [math.inf] * (n + 1)
    choice: list[tuple[int, list[int], bool] | None] = [None] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == math.inf:
            continue
        length = -1
        longest = 0
        last_end = words[i].end
        for j in range(i + 1, n + 1):  # candidate cue = words[i:j]
            word = words[j - 1]
            if j - 1 > i and word.start - last_end > pause_ms:
                break  # never hold a cue across a long silence
            last_end = max(last_end, word.end)
            length += lengths[j - 1] + 1
            longest = max(longest, lengths[j - 1])
            if j - i > 1 and last_end - words[i].start > max_ms:
                break
            shared = turns[j - 1] != turns[i]  # a speaker change inside: one line per speaker
            if shared:
                ends = speakers.dialogue_layout(
                    talkers, prefix, i, j, rules.max_lines, rules.max_line_chars, 2 * dashes
                )
                found = (ends, _SHARED_CUE_COST / _LAYOUT_WEIGHT) if ends else None
            else:
                found = _layout_span(
                    prefix, pair_costs, i, j, rules, longest > rules.max_line_chars
                )
            if found is None:
                if length > capacity:
                    break
                continue
            ends, layout_cost = found
            cost = _CUE_COST + _LAYOUT_WEIGHT * layout_cost
            if len(ends) > 1:
                hidden = (
                    sentences[j - 1]
                    - sentences[i]
                    - sum(1 for e in ends[:-1] if sentence_end[i + e - 1])
                )
                cost += _MIDLINE_SENTENCE_COST * hidden
            if j < n:
                cost += _BOUNDARY_WEIGHT * boundary[j - 1]
            if j - i == 1 and n > 1:
                cost += _ORPHAN_COST
            fill = length / capacity
            if fill < _SHORT_FILL:
                cost += _SHORT_COST * (_SHORT_FILL - fill)
            # Time the cue could get: up to the next cue's start, within max_duration.
            room = max_ms if j == n else min(max_ms, words[j].start - gap_ms - words[i].start)
            room = max(room, 1)
            chars = length - (len(ends) - 1)
            cost += _CPS_COST * max(0.0, chars * 1000 / room - rules.max_cps)
            if room < min_ms:
                cost += _TOO_BRIEF_COST
            total = best[i] + cost
            if total < best[j]:
                best[j] = total
                choice[j] = (i, ends, shared)

    cues: list[tuple[int, int, list[str]]] = []
    j = n
    while j > 0:
        picked = choice[j]
        assert picked is not None  # a one-word cue is always feasible
        i, ends, shared = picked
        lines = _split_lines([w.text for w in words[i:j]], ends)
        if shared and dashes:
            lines = [speakers.DASH + line for line in lines]
        cues.append((i, j, lines))
        j = i
    cues.reverse()
    return cues


@dataclass
class _Timed:
    start: int
    end: int
    lines: list[str]


def _separate(cues: list[_Timed], gap_ms: int, max_ms: int) -> None:
    """Remove overlaps from ASR word overlap: trim the earlier cue, and only when
    that would leave it nothing push the later one back, so every cue keeps > 0 ms."""
    for prev, cur in zip(cues, cues[1:], strict=False):
        prev.end = max(prev.start + 1, min(prev.end, cur.start - gap_ms))
        if cur.start < prev.end + gap_ms:
            cur.start = prev.end + gap_ms
            cur.end = min(max(cur.end, cur.start + 1), cur.start + max_ms)


def _extend(cues: list[_Timed], rules: SubtitleRules) -> None:
    """Give each cue time to be read: first by lingering into the silence after it,
    then (what is still missing) by appearing early in the silence before it.
    Earlier cues are served first, so a cue only takes the silence its predecessor left."""
    gap_ms = to_ms(rules.min_gap)
    max_ms = to_ms(rules.max_duration)
    need_min = min(to_ms(rules.min_duration), max_ms)
    for k, cue in enumerate(cues):
        chars = sum(len(line) for line in cue.lines)
        need = max(need_min, min(math.ceil(chars * 1000 / rules.max_cps), max_ms))
        if cue.end - cue.start >= need:
            continue
        target = cue.start + need
        if k + 1 < len(cues):
            target = min(target, cues[k + 1].start - gap_ms)
        cue.end = max(cue.end, target)
        if cue.end - cue.start >= need:
            continue
        earliest = cues[k - 1].end + gap_ms if k > 0 else 0
        # Reading speed alone justifies only a short lead-in; min_duration may use more.
        lowest = min(cue.start - _MAX_LEAD_IN_MS, cue.end - need_min)
        cue.start = min(cue.start, max(earliest, cue.end - need, lowest))


def build_cues(
    words: Sequence[Mapping[str, Any]], rules: SubtitleRules, dashes: bool = True
) -> list[Cue]:
    """Segment Whisper word timestamps into cues that respect `rules`.

    The hard limits (line length, line count, max duration, no overlap, min gap)
    always hold, except a single word longer than a line; min_duration holds
    whenever the surrounding silence allows it; reading speed is a target only.

    Words may carry a `speaker`: a cue then holds one speaker, or two or more with one
    line each, opened by the dialogue dash (`dashes`; off when the words carry labels,
    see speakers.py).
    """
    clean = _normalise_words(words)
    if not clean:
        return []
    max_ms = to_ms(rules.max_duration)
    gap_ms = to_ms(rules.min_gap)
    timed = []
    for i, j, lines in _segment(clean, rules, dashes):
        start = clean[i].start
        end = max(w.end for w in clean[i:j])
        end = min(max(end, start + 1), start + max_ms)
        timed.append(_Timed(start, end, lines))
    _separate(timed, gap_ms, max_ms)
    _extend(timed, rules)
    return [Cue(t.start / 1000, t.end / 1000, t.lines) for t in timed]
