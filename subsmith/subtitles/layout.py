"""Line layout: where a subtitler breaks a cue's text into lines.

The conventions professional subtitlers work by (Netflix Timed Text Style Guide, BBC
subtitle guidelines): at most max_lines lines, lines broken where the grammar allows
(after punctuation, before a connective, never inside a noun phrase or a name), then
balanced lengths. The cue builder (cues.py) weighs every candidate cue with
`_layout_span` over prefix sums, so no text is copied per candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import accumulate, combinations

from .rules import SubtitleRules
from .text import ends_clause, ends_sentence

__all__ = ["layout_lines"]

_STRIP = "\"'\u201c\u201d\u2018\u2019()[]{}.,;:!?\u2026\u2014\u2013-"

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


def _is_capitalised(token: str) -> bool:
    core = token.lstrip(_STRIP)
    return bool(core) and core[0].isupper() and _bare(token) not in _PRONOUN_I


def _break_cost(left: str, right: str) -> float:
    """Cost of breaking (a line or a cue) between two words: low where a reader
    naturally pauses, prohibitive where it would split a noun phrase or a name."""
    if ends_sentence(left):
        return 0.0
    if ends_clause(left):
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
