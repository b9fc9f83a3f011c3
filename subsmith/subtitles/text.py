"""Words as text: joining them the way the decoder spelled them, and where sentences end.

Only the standard library is used: the cue builder, the hallucination filter, the name
stages and the dialogue-dash rule (dialogue.py) all read words through these functions,
so "seven-year-old" is one word and "Mr." ends no sentence everywhere alike.

Joining. faster-whisper's words keep the decoder's leading space (" seven", "-year",
"-old"; " 41", "636", ".9"), so a stream of them is joined by concatenation and then
stripped: a space is wherever the decoder wrote one, and nowhere else. Older transcripts
(and many tests) hold words already stripped ("seven", "-year"); there every word would be
glued, so a stream in which no word carries leading whitespace is read with a rule
instead (see `glue_flags`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "ABBREVIATIONS",
    "ends_clause",
    "ends_sentence",
    "glue_flags",
    "join_words",
]

_SENTENCE_END = re.compile(r"(?:[.?!]|\u2026)[\"'\u201d\u2019)\]]*$")
_CLAUSE_END = re.compile(r"(?:[,;:]|\u2014|\u2013|--)[\"'\u201d\u2019)\]]*$")

# Abbreviations whose period does not end a sentence: no cue boundary after them, and no
# speaker change either ("Make it so, Mr." | "LaFord." is one sentence, one speaker).
# "No." is left out on purpose: as a reply it ends a sentence far more often than it
# abbreviates "number".
ABBREVIATIONS = frozenset(
    """mr. mrs. ms. dr. st. prof. jr. sr. vs. etc. lt. capt. col. gen. sgt. rev. mt. ft.
    gov. sen. det. insp. cmdr. adm. maj. messrs. mme. mlle. e.g. i.e. approx.""".split()
)

# Without leading spaces, a word that starts with one of these belongs to the word before
# it: "seven" "-year" "-old", "can" "'t", "U" ".S.", "Hello" ",".
_GLUE_START = tuple("-'\u2019.,;:!?%)]}\u2026")
# ... and so does a digit right after a word ending in one of these: "1." "636", "10:" "30".
_DIGIT_AFTER = tuple(".,:-")


def ends_sentence(token: str) -> bool:
    """The word closes a sentence (.?! or an ellipsis, before closing quotes), unless it
    is an abbreviation such as "Mr." or "Dr."."""
    return bool(_SENTENCE_END.search(token)) and token.lower().lstrip("\"'(\u201c\u2018") not in (
        ABBREVIATIONS
    )


def ends_clause(token: str) -> bool:
    return bool(_CLAUSE_END.search(token))


def glue_flags(texts: Sequence[str]) -> list[bool]:
    """For each word: does it join the word before it without a space?

    A stream where some word carries leading whitespace is spelled the decoder's way:
    a word glues exactly when it has no leading whitespace (" 41", "636", ".9" is
    "41636.9"). A stream where no word does is an older, stripped transcript: there a word
    glues only when it starts with punctuation that attaches leftwards ("-", "'", ".",
    ",", "?" ...) or is a digit after a word ending in ".", ",", ":" or "-" ("1." "636");
    every other word gets a space, which is what those transcripts meant. The first word
    never glues (there is nothing before it)."""
    spelled = any(t[:1].isspace() for t in texts)
    flags: list[bool] = []
    prev = ""
    for k, text in enumerate(texts):
        if k == 0 or not text.strip():
            flags.append(False)
        elif spelled:
            flags.append(not text[:1].isspace())
        else:
            flags.append(
                text.startswith(_GLUE_START) or (text[:1].isdigit() and prev.endswith(_DIGIT_AFTER))
            )
        if text.strip():
            prev = text.strip()
    return flags


def join_words(texts: Sequence[str]) -> str:
    """The words as one text, spaced as the decoder spelled them (see glue_flags); runs
    of whitespace inside are collapsed to one space."""
    parts: list[str] = []
    for text, glued in zip(texts, glue_flags(texts), strict=True):
        core = " ".join(text.split())
        if not core:
            continue
        parts.append(core if glued or not parts else " " + core)
    return "".join(parts)
