"""subsmith.subtitles.cues: the rules, line breaking and segmentation into cues."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from conftest import CONFIG
from cue_helpers import ARTICLES, MONOLOGUE, RULES, cue_words, sentences, speak
from subsmith.subtitles import (
    SubtitleRules,
    build_cues,
    check_cues,
    layout_lines,
    reading_speed,
)

# --------------------------------------------------------------------- rules


def test_rules_from_config_converts_ignores_unknown_and_has_no_defaults_of_its_own():
    section = {**CONFIG["srt_generation"], "max_line_chars": "37", "max_cps": 17, "model": "large"}
    rules = SubtitleRules.from_config(section)
    assert rules.max_line_chars == 37 and isinstance(rules.max_line_chars, int)
    assert rules.max_cps == 17.0
    assert rules.max_lines == 2 and rules.min_gap == 0.083
    # config.yaml holds the values (Netflix English); the code repeats none of them.
    assert RULES == SubtitleRules(42, 2, 0.833, 7.0, 0.083, 20.0, 1.2)
    with pytest.raises(ValueError, match="srt_generation: missing max_line_chars, max_lines"):
        SubtitleRules.from_config({"max_cps": 17})


def test_rules_reject_nonsense():
    with pytest.raises(ValueError, match="min_duration"):
        replace(RULES, min_duration=8.0, max_duration=7.0)


# -------------------------------------------------------------- layout_lines


def test_layout_single_line_when_it_fits():
    assert layout_lines("  Hello   there, friend. ", RULES) == ["Hello there, friend."]


def test_layout_keeps_names_together():
    lines = layout_lines("Yesterday I saw Mary Poppins flying over the roofs of London", RULES)
    assert lines is not None and len(lines) == 2
    assert all(len(line) <= 42 for line in lines)
    assert not lines[0].endswith("Mary")
    assert "Mary Poppins" in " ".join(lines) and any("Mary Poppins" in line for line in lines)


def test_layout_never_ends_a_line_on_an_article():
    text = "She finally opened the old wooden box that her grandmother had left"
    lines = layout_lines(text, RULES)
    assert lines is not None and len(lines) == 2
    assert lines[0].split()[-1].lower() not in ARTICLES | {"her"}
    assert " ".join(lines) == text


def test_layout_prefers_punctuation():
    lines = layout_lines("We went home after the party, and everybody was asleep soon", RULES)
    assert lines == ["We went home after the party,", "and everybody was asleep soon"]
    lines = layout_lines("I never said that. You must have heard it from somebody else", RULES)
    assert lines is not None and lines[0] == "I never said that."


def test_layout_prefers_break_before_conjunction_and_balance():
    lines = layout_lines("I think we should leave the city before it gets dark outside", RULES)
    assert lines == ["I think we should leave the city", "before it gets dark outside"]


def test_layout_too_long_is_none():
    assert layout_lines(" ".join(["word"] * 30), RULES) is None
    assert layout_lines("", RULES) is None


def test_layout_overlong_word_goes_alone_on_its_line():
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    assert layout_lines(long_word, RULES) == [long_word]
    assert layout_lines(f"{long_word} is a word", RULES) == [long_word, "is a word"]


def test_layout_respects_custom_limits():
    rules = replace(RULES, max_line_chars=20, max_lines=3)
    lines = layout_lines("one two three four five six seven eight nine ten", rules)
    assert lines is not None and len(lines) == 3 and all(len(x) <= 20 for x in lines)


# --------------------------------------------------------------- build_cues


def test_build_cues_empty():
    assert build_cues([], RULES) == []
    assert build_cues([{"start": 1.0, "end": 1.2, "word": "  "}], RULES) == []


def test_monologue_has_no_violations_and_readable_speed():
    words = speak(MONOLOGUE, seed=3)
    assert len(words) >= 200
    cues = build_cues(words, RULES)
    assert check_cues(cues, RULES) == []
    assert cue_words(cues) == [w["word"].strip() for w in words]
    assert all(len(line) <= 42 for cue in cues for line in cue.lines)
    within = sum(reading_speed(cue) <= RULES.max_cps for cue in cues)
    assert within >= 0.95 * len(cues)
    # Netflix-style linguistics: no cue and no line ends on an article or inside a name.
    for cue in cues:
        for line in cue.lines:
            assert line.split()[-1].lower() not in ARTICLES
            assert not line.endswith("Mary")
    # In a two-line cue a new sentence starts on a new line, not at the end of the first.
    for cue in cues:
        if len(cue.lines) == 2:
            assert not re.search(r"[.?!] \S", cue.lines[0]), cue.lines
    # Most cues end where a sentence or clause ends.
    ends = [cue.lines[-1][-1] for cue in cues]
    assert sum(ch in ".?!,;:" for ch in ends) >= 0.7 * len(ends)
    # Cues are timed on the words they contain.
    first, last = words[0], words[-1]
    assert cues[0].start <= first["start"] and cues[-1].end >= last["end"]


@pytest.mark.parametrize("seed", range(6))
def test_fast_regular_speech_has_no_hard_violations(seed):
    rng = random.Random(seed)
    vocab = MONOLOGUE.replace(".", "").replace(",", "").replace("?", "").replace("!", "").split()
    text = " ".join(
        " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 20))).capitalize() + "."
        for _ in range(25)
    )
    cues = build_cues(speak(text, seed=seed, step=0.3), RULES)
    assert check_cues(cues, RULES) == []


def test_long_pause_splits_cues():
    words = speak("One two three four.", t0=1.0) + speak("Five six seven eight.", t0=6.0)
    cues = build_cues(words, RULES)
    assert [c.text for c in cues] == ["One two three four.", "Five six seven eight."]
    assert cues[0].end < 6.0 - RULES.min_gap + 1e-9
    # Even without punctuation, a silence longer than max_pause is never spanned.
    words = speak("one two three four", t0=1.0) + speak("five six seven eight", t0=4.5)
    assert [c.text for c in build_cues(words, RULES)] == [
        "one two three four",
        "five six seven eight",
    ]


def test_sentence_end_preferred_as_cue_boundary():
    text = (
        "I think we should leave the city before it gets dark. "
        "The roads out of town will be crowded with people going home."
    )
    # Same gap everywhere: only the punctuation can tell where to cut.
    words = speak(text, pauses=(0.05, 0.05), step=0.3)
    cues = build_cues(words, RULES)
    assert len(cues) == 2
    assert cues[0].text.replace("\n", " ") == sentences(text)[0]
    assert check_cues(cues, RULES) == []


def test_no_one_word_orphan_cue():
    text = " ".join(["alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"] * 2)
    cues = build_cues(speak(text, step=0.3), RULES)
    assert len(cues) >= 2
    assert all(len(cue.text.split()) >= 3 for cue in cues)


def test_segment_boundary_is_used_as_cue_boundary():
    tokens = "we will meet at the station near the old bridge then walk to the market square today"

    def texts(with_segments: bool) -> list[str]:
        words = [
            {"start": 0.3 * k, "end": 0.3 * k + 0.25, "word": " " + w}
            | ({"segment": int(k >= 10)} if with_segments else {})
            for k, w in enumerate(tokens.split())
        ]
        return [c.text.replace("\n", " ") for c in build_cues(words, RULES)]

    assert texts(True) == [
        "we will meet at the station near the old bridge",
        "then walk to the market square today",
    ]
    assert texts(False) != texts(True)  # it is the segment that moved the boundary


def test_short_isolated_cue_is_extended_to_min_duration():
    words = [
        {"start": 5.0, "end": 5.2, "word": " Yes."},
        {"start": 9.0, "end": 9.3, "word": " No."},
    ]
    cues = build_cues(words, RULES)
    assert [c.text for c in cues] == ["Yes.", "No."]
    assert cues[0].start == 5.0 and cues[0].end - cues[0].start >= RULES.min_duration - 1e-9
    assert check_cues(cues, RULES) == []


def test_min_gap_and_no_overlap_with_overlapping_word_times():
    words = []
    for k, w in enumerate(("Stop. Wait. Go now. Run! Hide. " * 8).split()):
        # every word ends 30 ms after the next one starts, some have zero duration
        start = 0.25 * k
        words.append({"start": start, "end": start if k % 5 == 0 else start + 0.28, "word": w})
    cues = build_cues(words, RULES)
    assert check_cues(cues, RULES) == []
    for prev, cur in zip(cues, cues[1:], strict=False):
        assert cur.start - prev.end >= RULES.min_gap - 0.001


def test_max_duration_is_never_exceeded():
    # slow speech: a word every 0.9 s would fill a 7 s cue long before the lines are full
    words = [{"start": 0.9 * k, "end": 0.9 * k + 0.5, "word": " la"} for k in range(40)]
    words.append({"start": 40.0, "end": 52.0, "word": " aaaaah."})  # one very long word
    cues = build_cues(words, RULES)
    assert check_cues(cues, RULES) == []
    assert max(c.end - c.start for c in cues) <= RULES.max_duration + 1e-9


def test_garbage_times_are_robust():
    rng = random.Random(7)
    for _ in range(50):
        words, t = [], rng.uniform(-1, 1)
        for _ in range(rng.randint(1, 60)):
            duration = rng.choice([0, 0.001, 0.2, 0.5, 3.0, 9.0])
            token = rng.choice(["", " ", " hi", " word,", " end.", " The", " Name"])
            words.append({"start": t, "end": t + duration, "word": token})
            t += rng.choice([0, 0.001, 0.05, 0.3, 2.0, -0.01])
        cues = build_cues(words, RULES)
        for cue in cues:
            assert 0 <= cue.start < cue.end <= cue.start + RULES.max_duration + 1e-9
        # Every hard rule holds, min_duration included: the cues make room (issue 28).
        assert check_cues(cues, RULES) == []


def test_overlong_word_is_split_over_lines_and_passes_the_checker():
    """A word longer than a line used to go alone on an overlong line the checker then
    rejected; now it is cut into even pieces, one per line, and nothing else changes."""
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    words = speak(f"He has {long_word} again.", step=0.4)
    cues = build_cues(words, RULES)
    assert "".join(cue_words(cues)) == "Hehas" + long_word + "again."
    lines = [line for cue in cues for line in cue.lines]
    assert any(long_word[:23] in line for line in lines), lines  # two even pieces: 23 + 22
    assert any(long_word[23:] in line for line in lines), lines
    assert check_cues(cues, RULES) == []


# ------------------------------------------------------- line layout of spans


def _brute_force_layout(tokens: list[str], rules: SubtitleRules) -> tuple[list[int], float] | None:
    """Every way to cut tokens into 1..max_lines lines, fewest lines first, first minimum
    kept: the definition _layout_span's fast two-line loop must agree with."""
    from itertools import combinations, pairwise

    from subsmith.subtitles.cues import _break_cost, _imbalance_cost

    limit, m = rules.max_line_chars, len(tokens)
    for k in range(1, rules.max_lines + 1):
        best = None
        for cuts in combinations(range(1, m), k - 1):
            bounds = (0, *cuts, m)
            lines = [tokens[a:b] for a, b in pairwise(bounds)]
            lens = [len(" ".join(line)) for line in lines]
            if any(n > limit and len(line) > 1 for n, line in zip(lens, lines, strict=True)):
                continue
            cost = sum(_break_cost(tokens[c - 1], tokens[c]) for c in cuts)
            cost += sum(_imbalance_cost(x, y, limit) for x, y in pairwise(lens))
            if best is None or cost < best[1]:
                best = (list(bounds[1:]), cost)
        if best is not None:
            return best
    return None


def test_line_layout_of_any_span_matches_the_brute_force_definition():
    """build_cues weighs each candidate cue as a span of the whole text (no slices); the
    span's layout must be the one the brute-force definition picks for those words alone."""
    from itertools import accumulate, pairwise

    from subsmith.subtitles.cues import _break_cost, _layout_span

    rng = random.Random(11)
    vocab = MONOLOGUE.split() + ["incomprehensibilities,", "Data's", "no!"]
    for _ in range(400):
        rules = replace(RULES, max_lines=rng.choice([1, 2, 3]), max_line_chars=rng.choice([14, 42]))
        words = vocab if rng.random() < 0.5 else ["la", "la,", "lala"]  # many equal costs
        tokens = [rng.choice(words) for _ in range(rng.randint(1, 16))]
        lengths = [len(t) for t in tokens]
        prefix = list(accumulate(lengths, initial=0))
        pairs = [_break_cost(a, b) for a, b in pairwise(tokens)]
        i = rng.randrange(len(tokens))
        j = rng.randint(i + 1, len(tokens))
        overlong = max(lengths[i:j]) > rules.max_line_chars
        got = _layout_span(prefix, pairs, i, j, rules, overlong)
        want = _brute_force_layout(tokens[i:j], rules)
        assert (got is None) == (want is None), tokens[i:j]
        if got is not None:
            assert got[0] == want[0] and got[1] == pytest.approx(want[1]), tokens[i:j]
