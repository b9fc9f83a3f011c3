"""post_ner: respell the cast's names that ASR still got wrong, only where the evidence says so.

Whisper writes an unknown name the way it sounds ("Leighton's" -> "Layton's", "Birket
Foster" -> "Burkett Foster", sometimes split: "Lay ton"). Each run of one to a few ASR
words is compared with every form pre_ner found (entities/pre_ner.json), by spelling
(rapidfuzz's normalised Indel similarity) and by sound (jellyfish's Metaphone codes,
compared with the same similarity). A close match alone changes nothing: the word also
needs evidence that it is a name the model was unsure of, and a common word the model
wrote in lower case ("chauffeur", "foster", "print") needs more evidence still, so that
ordinary speech never turns into the cast list. Word times are kept: a respelled span
keeps the span's start and end. Every change is recorded with its scores and evidence.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from ..core.errors import SkipStage
from ..core.jsonio import read_json
from ..core.settings import options
from ..subtitles.text import glue_flags, join_words
from .pre_ner import TITLES

# Words before a common noun, hardly ever before a person's name ("the foster family").
# Not "that" or "her", which as often come before a name ("tell her that Brandon ...").
DETERMINERS = frozenset("the a an my your his our their".split())
PUNCT_AFTER = re.compile(r"(['’]s)?([\"'’”.,!?;:)\]]*)$")
PUNCT_BEFORE = re.compile(r"^([\"'‘“(\[]*)")


@dataclass(frozen=True)
class PostNerOptions:
    """The post_ner section of config.yaml (defaults live there and in the schema)."""

    max_span_words: int
    min_phonetic: float
    min_spelling: float
    low_probability: float
    common_zipf: float

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> PostNerOptions:
        return options(cls, section, "post_ner")


@dataclass
class Token:
    """One ASR word split into its leading text, the word itself, a possessive and trailing
    punctuation: ' "Layton\'s,' -> (' "', 'Layton', "'s", ',')."""

    lead: str
    core: str
    possessive: str
    trail: str

    @classmethod
    def parse(cls, word: str) -> Token:
        stripped = word.lstrip()
        space = word[: len(word) - len(stripped)]
        lead = PUNCT_BEFORE.match(stripped).group(1)
        rest = stripped[len(lead) :]
        m = PUNCT_AFTER.search(rest)
        core = rest[: m.start()]
        return cls(space + lead, core, m.group(1) or "", m.group(2) or "")


def phonetic_codes(text: str) -> tuple[str, str]:
    """Metaphone and NYSIIS codes: two encoders, because each misses what the other
    hears ("Skofer"/"Schoeffer": SKFR/SXFR but SCAFAR/SAFAR)."""
    import jellyfish

    letters = re.sub(r"[^A-Za-z]", "", text)
    return jellyfish.metaphone(letters), jellyfish.nysiis(letters)


def sound_similarity(a: tuple[str, str], b: tuple[str, str]) -> float:
    return (similarity(a[0], b[0]) + similarity(a[1], b[1])) / 2


def similarity(a: str, b: str) -> float:
    from rapidfuzz.fuzz import ratio

    return ratio(a, b) / 100.0


def is_known_word(word: str, zipf: float) -> bool:
    """A word frequent in English (wordfreq's Zipf scale, case folded): ASR wrote a real
    word, which takes more evidence to call a misheard name than a made-up spelling."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= zipf


@dataclass
class Form:
    text: str
    entity: str
    label: str
    code: tuple[str, str]

    @classmethod
    def of(cls, text: str, entity: dict[str, Any]) -> Form:
        return cls(text, entity["text"], entity["label"], phonetic_codes(text))


def entity_forms(entities_doc: dict[str, Any]) -> list[Form]:
    return [
        Form.of(f, e)
        for e in entities_doc.get("entities", [])
        for f in e["forms"]
        if f.replace(".", "").strip()
    ]


def _candidates(
    tokens: list[Token], words: list[dict[str, Any]], forms: list[Form], opts: PostNerOptions
) -> tuple[list[dict[str, Any]], set[int]]:
    """Every (span, form) close enough to consider, with its evidence; and the positions
    already spelled as a form (never changed)."""
    exact: set[int] = set()
    by_text = {f.text: f for f in forms}
    glue = glue_flags([w["word"] for w in words])

    def spelled(i: int, n: int) -> str:
        # The cores as the decoder spaced them: " Mc" "Kay" is "McKay", not "Mc Kay".
        return "".join(
            ("" if k == 0 or glue[i + k] else " ") + tokens[i + k].core for k in range(n)
        )

    for i in range(len(tokens)):
        for n in range(opts.max_span_words, 0, -1):
            span = tokens[i : i + n]
            if len(span) == n and spelled(i, n) in by_text:
                exact.update(range(i, i + n))
                break
    out = []
    for i in range(len(tokens)):
        for n in range(1, opts.max_span_words + 1):
            span = tokens[i : i + n]
            if len(span) < n or not all(t.core for t in span):
                break
            if any(t.trail or t.possessive for t in span[:-1]) or any(
                t.lead.strip() for t in span[1:]
            ):
                break  # punctuation inside: not one name
            spaced = spelled(i, n)
            joined = "".join(t.core for t in span)
            code = phonetic_codes(joined)
            titled = any(t.core.lower().rstrip(".") in TITLES for t in span)
            for form in forms:
                if spaced == form.text or abs(len(form.text.split()) - n) > 1:
                    continue
                if titled and form.text.split()[0].lower().rstrip(".") not in TITLES:
                    continue  # "Mr." is a title, never a misheard name
                phonetic = sound_similarity(code, form.code)
                spelling = max(
                    similarity(spaced.lower(), form.text.lower()),
                    similarity(joined.lower(), form.text.replace(" ", "").lower()),
                )
                if phonetic < opts.min_phonetic or spelling < opts.min_spelling:
                    continue
                out.append(
                    _judge(i, n, span, words, tokens, form, phonetic, spelling, by_text, opts)
                )
    return [c for c in out if c is not None], exact


def _judge(
    i: int,
    n: int,
    span: list[Token],
    words: list[dict[str, Any]],
    tokens: list[Token],
    form: Form,
    phonetic: float,
    spelling: float,
    by_text: dict[str, Form],
    opts: PostNerOptions,
) -> dict[str, Any] | None:
    """Keep a candidate only with evidence that a name was meant; say which."""
    evidence = []
    probs = [float(w.get("probability", 1.0)) for w in words[i : i + n]]
    if min(probs) < opts.low_probability:
        evidence.append(f"low word probability {min(probs):.2f}")
    sentence_start = i == 0 or tokens[i - 1].trail[-1:] in (".", "!", "?")
    capital = [
        t.core for k, t in enumerate(span) if t.core[:1].isupper() and (k or not sentence_start)
    ]
    if capital:
        evidence.append(f"capitalised in the ASR output ({' '.join(capital)})")
    before = tokens[i - 1].core if i else ""
    after = tokens[i + n].core if i + n < len(tokens) else ""
    if before.lower().rstrip(".") in TITLES:
        evidence.append(f"after the title {before!r}")
    same_entity = [
        w
        for w in (before, after, *(t.core for t in span))
        if w in by_text and by_text[w].entity == form.entity
    ]
    if same_entity:
        evidence.append(f"beside {same_entity[0]!r}, part of {form.entity!r}")
    if spelling == 1.0:
        evidence.append("the name's own letters, in another case")
    doubt = min(probs) < opts.low_probability
    context = any(e.startswith(("after the title", "beside")) for e in evidence)
    if all(is_known_word(t.core, opts.common_zipf) for t in span):
        # Real words ("chauffeur", "has to print", "Roman") become a name only when the
        # model doubted them AND the words around say a name is meant (or, for a word the
        # model itself capitalised, when it sounds exactly like the name).
        if not (doubt and (context or (capital and phonetic >= 0.95))):
            return None
        evidence.append("real English words, doubted")
    elif not evidence:
        return None
    score = round((phonetic + spelling) / 2, 3)
    return {
        "i": i,
        "n": n,
        "form": form,
        "score": score,
        "evidence": evidence,
        "phonetic": round(phonetic, 3),
        "spelling": round(spelling, 3),
    }


def _respell(
    words: list[dict[str, Any]], tokens: list[Token], c: dict[str, Any], spelled: bool = True
) -> list[dict[str, Any]]:
    """The span's words replaced by the form's, on the span's own times. In a stream
    spelled the decoder's way each new word after the first opens with a space; in an
    older stripped stream (`spelled` false) none does, as text.glue_flags expects, or the
    one spaced word would make the whole stream read as spelled and glue every word."""
    i, n, form = c["i"], c["n"], c["form"]
    span = words[i : i + n]
    parts = form.text.split()
    lead, tail = tokens[i].lead, tokens[i + n - 1].possessive + tokens[i + n - 1].trail
    start, end = span[0]["start"], span[-1]["end"]
    prob = round(min(float(w.get("probability", 1.0)) for w in span), 3)
    if len(parts) == n:
        times = [(w["start"], w["end"]) for w in span]
    else:  # share the span's time by the length of each new word
        total = sum(len(p) for p in parts)
        times, t = [], start
        for p in parts:
            d = (end - start) * len(p) / total
            times.append((round(t, 3), round(t + d, 3)))
            t += d
        times[-1] = (times[-1][0], end)
    out = []
    for k, (p, (s, e)) in enumerate(zip(parts, times, strict=True)):
        space = " " if spelled else ""
        text = (lead if k == 0 else space) + p + (tail if k == len(parts) - 1 else "")
        extra = {
            key: v
            for key, v in span[min(k, n - 1)].items()
            if key not in ("start", "end", "word", "probability")
        }
        out.append({"start": s, "end": e, "word": text, "probability": prob, **extra})
    return out


def _lowered_commons(
    words: list[dict[str, Any]], tokens: list[Token], forms: list[Form], opts: PostNerOptions
) -> list[dict[str, Any]]:
    """Biasing's side effect undone: a common word that is also part of a cast name
    ("Foster" of "Birket Foster") written with a capital after a determiner, doubted by
    the model and away from the rest of the name ("The Foster family") -> lower case."""
    parts = {f.text: f for f in forms if " " not in f.text and " " in f.entity}
    out = []
    for i, (w, t) in enumerate(zip(words, tokens, strict=True)):
        form = parts.get(t.core)
        if form is None or i == 0 or tokens[i - 1].core.lower() not in DETERMINERS:
            continue
        p = float(w.get("probability", 1.0))
        if p >= opts.low_probability or not is_known_word(t.core, opts.common_zipf):
            continue
        beside = {tokens[k].core for k in (i - 1, i + 1) if 0 <= k < len(tokens)}
        if beside & set(form.entity.split()):
            continue
        out.append(
            {
                "i": i,
                "word": t.lead + t.core.lower() + t.possessive + t.trail,
                "entity": form.entity,
                "evidence": [
                    f"a common word after {tokens[i - 1].core!r}",
                    f"low word probability {p:.2f}",
                    f"away from the rest of {form.entity!r}",
                ],
            }
        )
    return out


def correct_words(
    words: list[dict[str, Any]], forms: list[Form], opts: PostNerOptions
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the words with names respelled, the corrections made)."""
    tokens = [Token.parse(w["word"]) for w in words]
    spelled = any(str(w["word"])[:1].isspace() for w in words)
    lowered = _lowered_commons(words, tokens, forms, opts)
    if lowered:
        words = [dict(w) for w in words]
        for c in lowered:
            words[c["i"]]["word"] = c["word"]
        tokens = [Token.parse(w["word"]) for w in words]
    candidates, exact = _candidates(tokens, words, forms, opts)
    candidates.sort(key=lambda c: (-c["score"], -len(c["form"].text), c["i"]))
    taken: set[int] = set(exact)
    chosen = []
    for c in candidates:
        cells = set(range(c["i"], c["i"] + c["n"]))
        if cells & taken:
            continue
        taken |= cells
        chosen.append(c)
    out, corrections, k = [], [], 0
    for c in sorted(chosen, key=lambda c: c["i"]):
        out += words[k : c["i"]]
        new = _respell(words, tokens, c, spelled)
        before = join_words([w["word"] for w in words[c["i"] : c["i"] + c["n"]]])
        after = join_words([w["word"] for w in new])
        k = c["i"] + c["n"]
        out += new
        if before == after:
            continue
        corrections.append(
            {
                "from": before,
                "to": after,
                "start": new[0]["start"],
                "end": new[-1]["end"],
                "entity": c["form"].entity,
                "score": c["score"],
                "phonetic": c["phonetic"],
                "spelling": c["spelling"],
                "evidence": c["evidence"],
            }
        )
    out += words[k:]
    for c in lowered:
        w = words[c["i"]]
        corrections.append(
            {
                "from": c["word"].strip()[:1].upper() + c["word"].strip()[1:],
                "to": c["word"].strip(),
                "start": w["start"],
                "end": w["end"],
                "entity": c["entity"],
                "score": None,
                "evidence": c["evidence"],
            }
        )
    corrections.sort(key=lambda c: c["start"])
    return out, corrections


def usable_entities(doc: dict[str, Any] | None, path: str) -> dict[str, Any]:
    """pre_ner's entities, or SkipStage saying why there is nothing to match against."""
    if not doc or doc.get("status") != "success":
        reason = (doc or {}).get("reason") or f"{path} is missing"
        raise SkipStage(f"no names to match: pre_ner skipped ({reason})")
    return doc


def transcript_for_subtitles(corrected: str | None, plain: str) -> dict[str, Any]:
    """What srt_generation reads: post_ner's corrected transcript when it ran, else asr's."""
    doc = read_json(corrected) if corrected else None
    if doc and "segments" in doc:
        return doc
    return read_json(plain)


def correct_transcript(
    transcript: dict[str, Any], entities_doc: dict[str, Any], opts: PostNerOptions
) -> dict[str, Any]:
    """asr/transcript.corrected.json: the transcript, names respelled segment by segment,
    with every correction listed."""
    forms = entity_forms(entities_doc)
    result = copy.deepcopy(transcript)
    result["corrections"] = []
    for seg in result["segments"]:
        if not seg.get("words"):
            continue
        seg["words"], made = correct_words(seg["words"], forms, opts)
        if made:
            seg["text"] = join_words([w["word"] for w in seg["words"]])
            result["corrections"] += made
    return result
