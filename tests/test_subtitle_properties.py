"""Properties of the cue builder over generated word streams (issue 28).

Whatever the words' times and texts, every cue compose() returns passes the checker's
hard rules, and every word it keeps is shown exactly once, in order: the cues' text,
read end to end, is the kept words' text. Hypothesis generates the streams (derandomized,
so a run is the same everywhere; no example database is written): zero-length words,
equal and reversed timestamps, overlaps, gaps of hours, 1- and 200-character words,
glued pieces ("-year", ".9", "'t"), speakers switching every word, odd rules, and what
the hallucination filter leaves of a stream.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cue_helpers import RULES
from subsmith.subtitles import Cue, check_cues, compose, repair
from subsmith.subtitles.hallucination import filter_segments

SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}

VOCAB = [
    "",
    " ",
    "a",
    " I",
    " a",
    " Mr.",
    " Dr.",
    " Hayes.",
    " seven",
    "-year",
    "-old",
    " 41",
    "636",
    ".9",
    " can",
    "'t",
    " U",
    ".S.",
    " hello,",
    " end.",
    " Yes?",
    " No!",
    " Hmm.",
    " the",
    " Name",
    " ♪",
    " [Music]",
    "word",
    " incomprehensibilities,",
    "x" * 200,
    " " + "y" * 200,
    " " + "z" * 43,
]
DELTAS = [0.0, 0.0, 0.001, 0.05, 0.3, 2.0, -0.01, -5.0, 3600.0, 7200.5]
DURATIONS = [0.0, 0.0, 0.001, 0.2, 1.0, 9.0, -0.5]
RULE_SETS = [
    RULES,
    replace(RULES, max_lines=1),
    replace(RULES, max_line_chars=12, max_lines=3),
    replace(RULES, min_gap=0.0),
    replace(RULES, min_duration=2.0, max_duration=3.0, max_cps=5.0),
    replace(RULES, min_duration=7.0, max_duration=7.0),
]


@st.composite
def streams(draw) -> list[dict]:
    """A word stream: Hypothesis draws its shape (length, speakers, start, how wild the
    times are) and a seed; the words come from random.Random(seed), so that ten thousand
    streams take seconds, not minutes, to draw (a failure prints the seed)."""
    n = draw(st.integers(1, 40))
    mode = draw(st.sampled_from(["none", "one", "alternate", "random"]))
    t = draw(st.sampled_from([0.0, -1.0, 0.5, 36000.0]))
    wild = draw(st.floats(0, 1))  # share of times drawn from the awkward lists
    rng = random.Random(draw(st.integers(0, 2**32)))
    words = []
    for k in range(n):
        if rng.random() < wild:
            t += rng.choice(DELTAS)
            duration = rng.choice(DURATIONS)
        else:
            t += rng.uniform(-0.2, 1.5)
            duration = rng.uniform(0, 1.2)
        if rng.random() < 0.8:
            text = rng.choice(VOCAB)
        else:
            text = "".join(rng.choice("ab .,-'?!\n") for _ in range(rng.randint(1, 12)))
        speaker = {
            "none": None,
            "one": "A",
            "alternate": "AB"[k % 2],
            "random": rng.choice(["A", "B", "C", None]),
        }[mode]
        word = {"word": text, "start": t, "end": t + duration, "speaker": speaker}
        word["segment"] = k // 7
        if rng.random() < 0.03:
            del word["end"]  # a word without an end time
        words.append(word)
    return words


def _visible(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _shown(cue_lines: list[str]) -> str:
    """A cue's text as the words it came from: dialogue dashes off, whitespace off."""
    dialogue = len(cue_lines) > 1 and all(line.startswith("- ") for line in cue_lines)
    lines = [line[2:] if dialogue else line for line in cue_lines]
    return _visible("".join(lines))


def assert_conforming(words: list[dict], rules, dashes: bool) -> None:
    composed = compose(words, rules, dashes)
    assert check_cues(composed.cues, rules) == [], [c.lines for c in composed.cues]
    shown = [i for held in composed.sources for i in held]
    assert shown == sorted(set(shown)), "a word shown twice or out of order"
    present = [i for i, w in enumerate(words) if str(w.get("word") or "").strip()]
    assert sorted(shown + composed.dropped) == present, "a word lost"
    # Read end to end, the cues are the kept words, spelled as given.
    kept = set(shown)
    want = "".join(_visible(str(words[i]["word"])) for i in present if i in kept)
    got = "".join(_shown(c.lines) for c in composed.cues)
    if got != want:  # a first word "- x" looks like a dash: compare without stripping
        assert "".join(_visible("".join(c.lines)) for c in composed.cues) == want


@settings(max_examples=10_000, **SETTINGS)
@given(words=streams(), rules=st.sampled_from(RULE_SETS), dashes=st.booleans())
def test_every_cue_conforms_and_every_kept_word_is_shown_once_in_order(words, rules, dashes):
    assert_conforming(words, rules, dashes)


@settings(max_examples=1_000, **SETTINGS)
@given(
    words=streams(),
    regions=st.lists(
        st.tuples(st.floats(-2, 40, allow_nan=False), st.floats(0, 10, allow_nan=False)),
        max_size=5,
    ),
)
def test_what_the_filters_leave_conforms_too(words, regions):
    """The hallucination filter's output (words outside speech gone, unheard repeats
    gone, lone doubtful words gone) is a stream like any other for compose."""
    segments: dict[int, dict] = {}
    for w in words:
        if "end" not in w:
            continue
        w = {**w, "probability": 0.3}
        seg = segments.setdefault(
            w["segment"], {"id": w["segment"], "start": w["start"], "text": "", "words": []}
        )
        seg["words"].append(w)
        seg["text"] += str(w["word"])
    spans = [{"start": a, "end": a + b} for a, b in regions]
    kept, _ = filter_segments(list(segments.values()), spans)
    stream = [w for s in kept for w in s["words"]]
    assert_conforming(stream, RULES, True)


@settings(max_examples=1_000, **SETTINGS)
@given(
    cues=st.lists(
        st.tuples(
            st.floats(-5, 100, allow_nan=False),
            st.floats(-2, 20, allow_nan=False),
            st.lists(st.text(alphabet="ab -.", min_size=1, max_size=90), min_size=1, max_size=4),
        ),
        max_size=12,
    ),
    rules=st.sampled_from(RULE_SETS),
)
def test_repair_makes_any_cue_list_conform_and_keeps_its_text(cues, rules):
    """srt_generation's safety net (subtitles/repair.py) on cue lists from anywhere."""
    cue_list = [Cue(a, a + d, lines) for a, d, lines in cues]
    fixed, notes = repair.repair(cue_list, rules)
    assert check_cues(fixed, rules) == []
    if check_cues(cue_list, rules):
        assert notes
    want = sorted(_visible("".join(line for c in cue_list for line in c.lines)))
    assert sorted(_visible("".join(line for c in fixed for line in c.lines))) == want
