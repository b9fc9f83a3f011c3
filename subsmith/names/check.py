"""The second look: is a cast name that the biased decoder wrote really heard?

With the cast's names before every window (subsmith.names.pre_ner.asr_bias) Whisper spells the
names it hears, but it also completes them: it hears "Hester", the prompt says "Hester
Prynne", and "Ada Whittemore and Hester read the letter twice" comes out "... and Hester
Prynne the letter twice" (bench/names_results.md, both espeak voices). The word's
probability does not tell: faster-whisper scores words without the prompt but with the
window's own text before them, and after "Hester" tiny.en gave the invented "Prynne" 0.95
in one voice (and 0.05 in the other), while names really spoken got 0.01 to 0.99.

So every word of a cast name in the biased transcript gets a second look: the speech around
it (its VAD region, cut at the transcript's word gaps `CONTEXT` seconds either side) is
decoded again WITHOUT the names, all such stretches in one batched call, each a window of
its own. A name word is heard when the unbiased words at its place hold a run of one to
three words that sounds like it (post_ner's Metaphone + NYSIIS similarity, subsmith.
name_correction) at least `min_heard`: "Prynne"/"print", "Whittemore"/"we see more",
"Ferrars"/"there are" are heard; "Prynne"/"read" is not. A name word not heard is replaced
by the unbiased words whose middle lies within it (so "Hester read"). Where the second look
has no words at the name, or loops (Whisper's own compression-ratio test, or a word that
repeats itself: "Taelelelele"), there is no evidence against the name and it stays.

Names are said, and completed by the prompt, left to right. So in a cast name written
whole, a part not heard stays when a later part of the same name is heard: the second look
wrote "that we see more" where "Ada Whittemore" was said ("Ada"/"that" 0.45), and the heard
"Whittemore" vouches for "Ada"; an unheard part after the heard ones ("Hester Prynne" over
"Hester read") is what the prompt adds, and goes.

The cost is decoding, once more, a few seconds around each name the biased decoder wrote:
only movies with a cast list, and only where names were written (bench/names.py measures it).
Each stretch is a window of its own, which Whisper pads to 30 s. Packed into windows as asr
packs speech, the check took a quarter of the time (bench/names.py), but the unbiased decoder
then looped across the packed sentences ("He's waiting in the garden" again) and that text
replaced a name (espeak WER on the clips with names 9.6 %, measured once by bench/names.py,
against the shipped check's in bench/names_results.md, row "espeak, prompt + check"):
speed does not buy that.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

import numpy as np

from ..subtitles.text import join_words
from .post_ner import Token, phonetic_codes, sound_similarity
from .pre_ner import TITLES

CONTEXT = 3.0  # seconds of speech either side of a name word decoded again
MAX_SPAN = 25.0  # stretches merged up to this long: one decoding window each
NEAR = 0.3  # unbiased words this close to a name word's time are its counterparts
LOOPS = 2.4  # Whisper's compression-ratio threshold: a second look above it loops
MAX_RUN = 3  # unbiased words one name word may have become ("we see more")
REPEATS = re.compile(r"(\w{1,4})\1{3,}")  # a loop inside a word: "lelelele"


def name_words(entities_doc: dict[str, Any] | None) -> set[str]:
    """Every word of every form pre_ner found, as ASR writes it, titles left out
    ("Colonel", "Mr." are not names the prompt can invent)."""
    if not entities_doc or entities_doc.get("status") != "success":
        return set()
    return {
        w
        for e in entities_doc.get("entities", [])
        for f in e["forms"]
        for w in f.split()
        if w.lower().rstrip(".") not in TITLES and len(w) > 1
    }


def full_names(entities_doc: dict[str, Any] | None) -> list[list[str]]:
    """The forms of more than one word, as word lists ("Ada Whittemore", "Mr. Schoeffer")."""
    if not entities_doc or entities_doc.get("status") != "success":
        return []
    return [f.split() for e in entities_doc.get("entities", []) for f in e["forms"] if " " in f]


def _spans(
    words: list[dict[str, Any]], marks: list[int], regions: list[dict[str, float]]
) -> list[dict[str, float]]:
    """The stretches to decode again: for each marked word, its region from the word gap
    about CONTEXT s before it to the one about CONTEXT s after; overlapping ones merged."""
    spans = []
    for i in marks:
        w = words[i]
        mid = (w["start"] + w["end"]) / 2
        region = next((r for r in regions if r["start"] <= mid <= r["end"]), None)
        if region is None:
            continue
        start, end = region["start"], region["end"]
        for k in range(i, 0, -1):  # the first gap at least CONTEXT s before the word
            if w["start"] - words[k]["start"] >= CONTEXT:
                start = max(start, (words[k - 1]["end"] + words[k]["start"]) / 2)
                break
        for k in range(i, len(words) - 1):
            if words[k]["end"] - w["end"] >= CONTEXT:
                end = min(end, (words[k]["end"] + words[k + 1]["start"]) / 2)
                break
        if end > start:
            spans.append({"start": start, "end": end})
    merged: list[dict[str, float]] = []
    for s in sorted(spans, key=lambda s: s["start"]):
        if (
            merged
            and s["start"] <= merged[-1]["end"]
            and s["end"] - merged[-1]["start"] <= MAX_SPAN
        ):
            merged[-1]["end"] = max(merged[-1]["end"], s["end"])
        else:
            merged.append(dict(s))
    return merged


def heard(name: str, counterparts: list[dict[str, Any]]) -> float:
    """How much the best run of one to MAX_RUN unbiased words sounds like the name (0-1)."""
    code = phonetic_codes(name)
    cores = [Token.parse(w["word"]).core for w in counterparts]
    best = 0.0
    for i in range(len(cores)):
        for n in range(1, MAX_RUN + 1):
            if i + n > len(cores):
                break
            joined = "".join(cores[i : i + n])
            if joined:
                best = max(best, sound_similarity(code, phonetic_codes(joined)))
    return best


def _loops(words: list[dict[str, Any]]) -> bool:
    """Whisper's compression-ratio test, and the same inside a word ("Taelelelelele"): a
    few seconds of text are too short for the ratio alone."""
    from faster_whisper.transcribe import get_compression_ratio

    text = join_words([w["word"] for w in words])
    return bool(text) and (get_compression_ratio(text) > LOOPS or bool(REPEATS.search(text)))


def check(
    model: Any,
    audio: np.ndarray | str,
    regions: list[dict[str, float]],
    transcript: dict[str, Any],
    entities_doc: dict[str, Any] | None,
    opts: Any,
    *,
    language: str | None,
    min_heard: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the transcript with the names not heard replaced, what the check did).

    opts is the stage's AsrOptions: the second look decodes with its model settings, batched
    (each stretch a window of its own), without the names and without asr.initial_prompt.
    min_heard 0 turns the check off."""
    from ..speech import asr

    names = name_words(entities_doc)
    segments = transcript["segments"]
    words = [w for s in segments for w in s["words"]]
    marks = [i for i, w in enumerate(words) if Token.parse(w["word"]).core in names]
    found = {"name_words": len(marks), "redecoded_seconds": 0.0, "not_heard": []}
    if not marks or min_heard <= 0:
        return transcript, found
    spans = _spans(words, marks, regions)
    again = asr.transcribe(
        model,
        audio,
        spans,
        replace(
            opts,
            batch_size=max(2, opts.batch_size),
            chunk_seconds=0,
            initial_prompt=None,
            beam_size=asr.beam(opts, model, biased=True),  # as measured (asr.beam)
        ),
        language=language,
        hotwords=None,
        redecode_min_seconds=None,
    )
    found["redecoded_seconds"] = again["speech_seconds"]
    plain = [w for s in again["segments"] for w in s["words"]]
    rejected: set[int] = set()
    scores: dict[int, float] = {}
    for i in marks:
        w = words[i]
        near = [p for p in plain if p["start"] < w["end"] + NEAR and p["end"] > w["start"] - NEAR]
        around = [
            p for p in plain if p["start"] < w["end"] + CONTEXT and p["end"] > w["start"] - CONTEXT
        ]
        if not near or _loops(around):
            continue
        scores[i] = heard(Token.parse(w["word"]).core, near)
        if scores[i] < min_heard:
            rejected.add(i)
    # Names are said, and completed by the prompt, left to right: a part not heard before a
    # part of the same name that is ("that Whittemore" -> "Ada Whittemore") stays; a part
    # not heard after the heard ones ("Hester read" -> "Hester Prynne") was the prompt's.
    cores = [Token.parse(w["word"]).core for w in words]
    for parts in full_names(entities_doc):
        n = len(parts)
        for i in range(len(words) - n + 1):
            if cores[i : i + n] != parts:
                continue
            named = [i + k for k in range(n) if cores[i + k] in names]
            for a in named:
                if a in rejected and any(c not in rejected for c in named if c > a):
                    rejected.discard(a)
    if not rejected:
        return transcript, found
    result = copy.deepcopy(transcript)
    k = 0
    for seg in result["segments"]:
        n = len(seg["words"])
        out, j = [], 0
        while j < n:
            if k + j not in rejected:
                out.append(seg["words"][j])
                j += 1
                continue
            run_end = j
            while run_end + 1 < n and k + run_end + 1 in rejected:
                run_end += 1
            run = seg["words"][j : run_end + 1]
            lo, hi = run[0]["start"], run[-1]["end"]
            instead = [
                {key: p[key] for key in ("start", "end", "word", "probability")}
                for p in plain
                if lo <= (p["start"] + p["end"]) / 2 < hi
            ]
            if j == 0 and instead and not instead[0]["word"].startswith(" "):
                instead[0]["word"] = " " + instead[0]["word"]
            found["not_heard"].append(
                {
                    "from": join_words([w["word"] for w in run]),
                    "to": join_words([w["word"] for w in instead]),
                    "start": lo,
                    "end": hi,
                    "heard": [round(scores[k + m], 3) for m in range(j, run_end + 1)],
                }
            )
            out += instead
            j = run_end + 1
        k += n
        if len(out) != n or any(a is not b for a, b in zip(out, seg["words"], strict=False)):
            seg["words"] = out
            seg["text"] = join_words([w["word"] for w in out])
            seg["emptied"] = not out
    result["segments"] = [s for s in result["segments"] if not s.pop("emptied", False)]
    return result, found


def summary(found: dict[str, Any]) -> str:
    """The manifest's note."""
    if not found["name_words"]:
        return "name check: no cast names written"
    return (
        f"name check: {found['name_words']} name words looked at again "
        f"({found['redecoded_seconds']:.1f} s decoded without the names), "
        f"{len(found['not_heard'])} not heard and replaced"
    )
