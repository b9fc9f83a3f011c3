"""Tests for subsmith.subtitles: segmentation, line breaking, SRT I/O and checks."""

from __future__ import annotations

import random
import re

import pysrt
import pytest
import srt

from subsmith.subtitles import (
    Cue,
    SrtParseError,
    SubtitleRules,
    build_cues,
    check_cues,
    format_timestamp,
    layout_lines,
    parse_srt,
    reading_speed,
    to_srt,
)

RULES = SubtitleRules()
ARTICLES = {"a", "an", "the", "this", "my", "your", "his", "our", "their"}

MONOLOGUE = (
    "I think we should leave the city before it gets dark. The roads out of town will be "
    "crowded with people going home. Mary Poppins told me that yesterday, and she is rarely "
    "wrong. Do you remember the summer we spent at the lake? We swam every morning, read books "
    "in the afternoon, and talked until late at night about everything and nothing. Those were "
    "good days. Now everything feels different, because the factory closed and most of our "
    "friends moved away to find work in the big cities. My father says that it will get better, "
    "but he has said that for years. Still, I want to believe him. Maybe next spring we can go "
    "back to the lake, rent the old cabin by the water, and see if it still feels the same. "
    "What do you think? Would you come with me, even if it rains the whole week and the boat "
    "leaks again like it did last time? I would like that very much. Anyway, we should get "
    "going now, before the traffic gets any worse. Take your coat, the one with the big "
    "pockets, because the wind by the river is cold at this time of the year. And do not "
    "forget the keys this time! Last winter we waited two hours in the snow for your brother, "
    "who had the only other set. He still laughs about it, but I do not."
)


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.?!])\s+", text.strip())


def speak(
    text: str,
    *,
    seed: int = 0,
    t0: float = 0.5,
    pauses: tuple[float, float] = (0.3, 1.0),
    step: float | None = None,
) -> list[dict]:
    """Synthetic faster-whisper words: duration grows with word length (or a fixed
    `step` per word), small gaps inside sentences, longer pauses between them."""
    rng = random.Random(seed)
    words, t = [], t0
    for segment, sentence in enumerate(sentences(text)):
        for token in sentence.split():
            if step is None:
                duration = 0.12 + 0.055 * len(token)
                advance = duration + rng.uniform(0.02, 0.08)
            else:
                duration, advance = step * rng.uniform(0.6, 0.95), step
            words.append(
                {
                    "start": round(t, 3),
                    "end": round(t + duration, 3),
                    "word": " " + token,
                    "segment": segment,
                }
            )
            t += advance
        t += rng.uniform(*pauses)
    return words


def cue_words(cues: list[Cue]) -> list[str]:
    return [w for cue in cues for w in cue.text.split()]


# --------------------------------------------------------------------- rules


def test_rules_from_config_ignores_unknown_and_keeps_defaults():
    rules = SubtitleRules.from_config({"max_line_chars": "37", "max_cps": 17, "model": "large"})
    assert rules.max_line_chars == 37 and isinstance(rules.max_line_chars, int)
    assert rules.max_cps == 17.0
    assert rules.max_lines == 2 and rules.min_gap == 0.083
    assert SubtitleRules.from_config({}) == SubtitleRules()


def test_rules_reject_nonsense():
    with pytest.raises(ValueError, match="min_duration"):
        SubtitleRules(min_duration=8.0, max_duration=7.0)


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
    rules = SubtitleRules(max_line_chars=20, max_lines=3)
    lines = layout_lines("one two three four five six seven eight nine ten", rules)
    assert lines is not None and len(lines) == 3 and all(len(x) <= 20 for x in lines)


# --------------------------------------------------------- format_timestamp


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "00:00:00,000"),
        (1.2345, "00:00:01,235"),  # half up on the decimal value
        (2.0005, "00:00:02,001"),  # 2.0005 * 1000 is 2000.4999... in binary
        (59.9996, "00:01:00,000"),  # rounding carries into the minutes
        (3661.5, "01:01:01,500"),
        (36000 + 62.25, "10:01:02,250"),
        (123 * 3600.0, "123:00:00,000"),
        (-0.02, "00:00:00,000"),
    ],
)
def test_format_timestamp(seconds, expected):
    assert format_timestamp(seconds) == expected


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
        problems = check_cues(cues, RULES)
        # Only min_duration is soft (it needs silence around the cue); the rest must hold.
        assert [p for p in problems if "below minimum 0.833 s" not in p] == []


def test_overlong_word_is_alone_and_reported():
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    words = speak(f"He has {long_word} again.", step=0.4)
    cues = build_cues(words, RULES)
    assert cue_words(cues) == ["He", "has", long_word, "again."]
    assert any(long_word in cue.lines for cue in cues)
    problems = check_cues(cues, RULES)
    assert len(problems) == 1 and "longer than 42 characters" in problems[0]


# ---------------------------------------------------------------------- SRT


def sample_cues() -> list[Cue]:
    return [
        Cue(1.0, 3.5, ["Hello, world."]),
        Cue(3.6, 6.0126, ["Two lines,", "with àccents – and “quotes”."]),
        Cue(3600 * 10 + 1.001, 3600 * 10 + 2.999, ["Ten hours in."]),
    ]


def test_to_srt_format():
    out = to_srt(sample_cues()[:2])
    assert out == (
        "1\n00:00:01,000 --> 00:00:03,500\nHello, world.\n\n"
        "2\n00:00:03,600 --> 00:00:06,013\nTwo lines,\nwith àccents – and “quotes”.\n"
    )
    assert to_srt([]) == ""


def test_to_srt_is_read_identically_by_srt_and_pysrt():
    cues = build_cues(speak(MONOLOGUE, seed=1), RULES) + sample_cues()
    text = to_srt(cues)
    by_srt = list(srt.parse(text))
    by_pysrt = pysrt.from_string(text)
    assert len(by_srt) == len(by_pysrt) == len(cues)
    for cue, a, b in zip(cues, by_srt, by_pysrt, strict=True):
        start_ms, end_ms = round(cue.start * 1000), round(cue.end * 1000)
        assert a.content == b.text == cue.text
        assert round(a.start.total_seconds() * 1000) == b.start.ordinal == start_ms
        assert round(a.end.total_seconds() * 1000) == b.end.ordinal == end_ms


def test_parse_srt_round_trip():
    cues = build_cues(speak(MONOLOGUE, seed=2), RULES) + sample_cues()
    again = parse_srt(to_srt(cues))
    assert [c.lines for c in again] == [c.lines for c in cues]
    assert [(round(c.start * 1000), round(c.end * 1000)) for c in again] == [
        (round(c.start * 1000), round(c.end * 1000)) for c in cues
    ]
    assert to_srt(again) == to_srt(cues)


def test_parse_srt_matches_srt_library_on_its_own_output():
    subs = [
        srt.Subtitle(1, srt.timedelta(seconds=1.5), srt.timedelta(seconds=2.25), "A\nB"),
        srt.Subtitle(2, srt.timedelta(seconds=61), srt.timedelta(seconds=62.001), "C"),
    ]
    cues = parse_srt(srt.compose(subs))
    assert [(c.start, c.end, c.text) for c in cues] == [(1.5, 2.25, "A\nB"), (61.0, 62.001, "C")]


def test_parse_srt_tolerates_real_world_mess():
    messy = (
        "\ufeff\r\n\r\n"
        "7\r\n"
        "00:00:01.000 --> 00:00:02,500  X1:40 X2:600 Y1:20 Y2:50\r\n"
        "First line   \r\n"
        "second line\r\n"
        "3\r\n"  # missing blank line, wrong number
        "0:00:03,000-->0:00:04,000\r\n"
        "Next\r\n"
        "\r\n\r\n\r\n"
        "00:00:05,000 --> 00:00:06,000\r\n"  # no number at all
        "42\r\n"  # a number that is text (no timing line follows)
        "\r\n"
    )
    cues = parse_srt(messy)
    assert [(c.start, c.end, c.lines) for c in cues] == [
        (1.0, 2.5, ["First line", "second line"]),
        (3.0, 4.0, ["Next"]),
        (5.0, 6.0, ["42"]),
    ]
    assert parse_srt(messy.replace("\r\n", "\r")) == cues
    assert parse_srt(messy.replace("\r\n", "\n")) == cues


def test_parse_srt_empty():
    assert parse_srt("") == []
    assert parse_srt("\ufeff\n\n  \n") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:0x,000 --> soon\nbad\n", 6),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n2\n00:00:03 --> 00:00:04\nbad\n", 5),
        ("\n\nJust some text\n", 3),
        ("1\nHello\n", 2),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n", 5),
    ],
)
def test_parse_srt_errors_name_the_line(text, line):
    with pytest.raises(SrtParseError, match=rf"^line {line}: ") as info:
        parse_srt(text)
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------- checks


def test_check_cues_reports_each_rule():
    cues = [
        Cue(1.0, 1.5, ["short"]),  # below min duration
        Cue(1.55, 10.0, ["x" * 43, "two", "three"]),  # gap, too long, lines
        Cue(9.0, 9.0, [""]),  # overlap, start == end, empty
    ]
    problems = check_cues(cues, RULES)
    assert problems[0].startswith("cue 1 (00:00:01,000): duration 0.500 s below minimum")
    second = [p for p in problems if p.startswith("cue 2 (00:00:01,550): ")]
    assert len(second) == 4
    assert any("3 lines (max 2)" in p for p in second)
    assert any("line 1 (43) longer than 42" in p for p in second)
    assert any("above maximum" in p for p in second)
    assert any("gap to the previous cue 0.050 s" in p for p in second)
    third = [p for p in problems if p.startswith("cue 3 (00:00:09,000): ")]
    assert len(third) == 3
    assert any("empty text" in p for p in third)
    assert any("not before end" in p for p in third)
    assert any("overlaps the previous cue" in p for p in third)
    assert len(problems) == 1 + 4 + 3


def test_check_cues_millisecond_tolerance():
    cues = [Cue(0.0, 0.832, ["ok"]), Cue(0.915, 7.916, ["ok"])]
    assert check_cues(cues, RULES) == []
    assert len(check_cues([Cue(0.0, 0.831, ["too short"])], RULES)) == 1


def test_reading_speed():
    assert reading_speed(Cue(0.0, 2.0, ["Hello", "world!"])) == pytest.approx(5.5)
    assert reading_speed(Cue(1.0, 1.0, ["x"])) == float("inf")


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
        rules = SubtitleRules(max_lines=rng.choice([1, 2, 3]), max_line_chars=rng.choice([14, 42]))
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
