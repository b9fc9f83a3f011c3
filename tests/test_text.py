"""subsmith.subtitles.text: words joined as the decoder spelled them, sentence ends (issue 28)."""

from __future__ import annotations

import pytest

from cue_helpers import RULES
from subsmith.subtitles import build_cues
from subsmith.subtitles.text import ends_sentence, glue_flags, join_words

# faster-whisper's words, leading spaces as the decoder wrote them.
SPELLED = [
    ([" a", " seven", "-year", "-old", " boy"], "a seven-year-old boy"),
    ([" carbon", "-based", " life"], "carbon-based life"),
    ([" the", " mid", "-20th", " century"], "the mid-20th century"),
    ([" stardate", " 41", "636", ".9"], "stardate 41636.9"),
    ([" stardate", " 1", ".636", ".9"], "stardate 1.636.9"),
    ([" Dr.", " Hayes", " is", " here."], "Dr. Hayes is here."),
    ([" I", " can", "'t", " go."], "I can't go."),
    ([" the", " U", ".S.", " Army"], "the U.S. Army"),
]
# Older transcripts (and tests) stored every word stripped.
STRIPPED = [
    (["a", "seven", "-year", "-old", "boy"], "a seven-year-old boy"),
    (["stardate", "1", ".636", ".9"], "stardate 1.636.9"),
    (["stardate", "1.", "636"], "stardate 1.636"),
    (["at", "10:", "30"], "at 10:30"),
    (["Dr.", "Hayes"], "Dr. Hayes"),
    (["can", "'t"], "can't"),
    (["the", "U", ".S."], "the U.S."),
    (["Hello", ",", "world", "!"], "Hello, world!"),
    (["Hello", "world", "42"], "Hello world 42"),
]


@pytest.mark.parametrize(("words", "text"), SPELLED + STRIPPED)
def test_join_words_as_spelled(words, text):
    assert join_words(words) == text


def test_glue_flags_read_a_stream_as_spelled_or_stripped():
    # One word with a leading space makes the whole stream spelled: "636" glues to " 41".
    assert glue_flags([" 41", "636"]) == [False, True]
    # Stripped: a digit glues only after ".,:-", so "41" "636" stays two numbers.
    assert glue_flags(["41", "636"]) == [False, False]
    assert glue_flags(["", "-x"]) == [False, True]
    # Whitespace inside a word collapses; empty words vanish; in a spelled stream a word
    # without a leading space is glued, as the decoder wrote it.
    assert join_words(["  ", " a  b ", "", "c"]) == "a bc"
    assert join_words(["a  b", "", "c"]) == "a b c"


@pytest.mark.parametrize(("words", "text"), SPELLED)
def test_cues_keep_the_spelling(words, text):
    timed = [
        {"word": w, "start": 1.0 + 0.3 * k, "end": 1.25 + 0.3 * k} for k, w in enumerate(words)
    ]
    (cue,) = build_cues(timed, RULES)
    assert cue.text == text


def test_a_glued_piece_never_starts_a_line():
    words = " It was a seven-year-old carbon-based life form from the mid-20th century".split(" ")
    pieces = []
    for w in words[1:]:
        first, *rest = w.split("-")
        pieces += [" " + first] + ["-" + r for r in rest]
    timed = [{"word": w, "start": 0.2 * k, "end": 0.2 * k + 0.15} for k, w in enumerate(pieces)]
    cues = build_cues(timed, RULES)
    lines = [line for c in cues for line in c.lines]
    assert " ".join(lines) == " ".join(words[1:])
    assert not any(line.startswith("-") for line in lines)


def test_sentence_ends_and_abbreviations():
    assert ends_sentence("LaFord.") and ends_sentence("No.") and ends_sentence('so."')
    assert ends_sentence("Really?") and ends_sentence("Wait...")
    for abbreviation in ("Mr.", "Dr.", "St.", "Mrs.", "Ms.", "vs.", "etc.", '"Mr.'):
        assert not ends_sentence(abbreviation), abbreviation
    assert not ends_sentence("so,")
