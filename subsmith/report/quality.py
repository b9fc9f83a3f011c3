"""The quality estimate: one number per movie and per cue, and flags that say why.

Everything here comes from what the stages already know; nothing is decoded again.
The formula and every threshold live in this module, nowhere else.

Per movie, an estimate of the share of the dialogue the subtitles get right (0-100):

    estimate = 100 * confidence * coverage * language

    confidence  the mean probability the decoder gave the words in the cues (Whisper's
                word probability: a low one is a word it was unsure of, the usual
                substitution error)
    coverage    1 - (Silero speech that no cue covers) / (Silero speech): a minute of
                dialogue with no cue is a minute of words missing (deletions)
    language    min(1, language probability / LANGUAGE_SURE): words decoded in the
                wrong language are all wrong

Per cue, the number of words it probably gets wrong:

    expected = sum over its words of P(wrong) + missed words

    P(wrong)    a logistic regression on two things the decoder says about each word,
                fitted on word errors measured on real recordings:
                1 / (1 + exp(-(WORD_BIAS + WORD_LOGIT * logit(p) + WORD_LOGPROB * lp)))
                p the word's probability, lp its segment's average log-probability
                (a doubted line makes each of its words more likely wrong)
    missed      words the decoder left out: Silero speech of MISSED_GAP seconds or more
                with no word in it, times the movie's words per second of speech; a gap
                inside a cue counts to that cue, one between two cues half to each

A cue is flagged "likely wrong words" when expected >= CUE_EXPECTED (one word, a value
chosen for its meaning, not fitted), in at most CUE_SHARE of the movie's cues (a fifth,
rounded down, at least one): where more cues reach one word, the fifth with the most.
That budget is a rank within the movie: a good movie shows few flags or none, a poor one
the fifth of its cues to check first, and its estimate and "low confidence" flag say the
rest is poor too (the threshold alone flags more of a poor film's cues: the bench).
The cue's score is 100 * the mean probability of its words. Other cue flags: the decoder
said "maybe no speech", repeated text, reading too fast, a name post_ner respelled.
bench/report_calibration.md measures how many word errors the flagged cues hold, fitted
on one corpus and scored on another.

Movie flags are the reasons a person should look: each has its threshold below.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..subtitles.checker import reading_speed
from ..subtitles.turns import assign_speakers
from .movie import LOUDNESS_STEP, Movie

UNSURE_WORD = 0.5  # a word the decoder gave less than this is marked on the timeline
LOW_CONFIDENCE = 0.75  # movie: mean word probability below this -> "low confidence"
UNSURE_SHARE = 0.15  # movie: more unsure words than this share -> "low confidence"
# P(a word is wrong): logistic regression fitted by bench/report_calibration.py on the
# word errors of both real corpora and both models (its held-out figures: the .md)
WORD_BIAS = -1.15
WORD_LOGIT = -0.93  # per unit of logit(word probability)
WORD_LOGPROB = -3.1  # per unit of the segment's avg_logprob
CUE_EXPECTED = 1.0  # cue: this many expected wrong words -> "likely wrong words" ...
CUE_SHARE = 0.2  # ... in at most this share of a movie's cues (at least 1), worst first
MISSED_GAP = 1.0  # seconds of Silero speech with no word: words the decoder left out
MISSED_PAD = 0.2  # seconds around each word's timing that count as the word's
# segment no_speech_prob above NO_SPEECH with avg_logprob below DOUBT_LOGPROB: the decoder
# thought it might be silence and was not sure of its words (Whisper's own silence rule,
# softened; a high no_speech_prob alone is common on good long segments and says nothing)
NO_SPEECH = 0.6
DOUBT_LOGPROB = -0.5
HIGH_COMPRESSION = 2.4  # segment compression ratio above this: repeated text (Whisper's)
LANGUAGE_SURE = 0.8  # language probability below this -> "language uncertain"
MIN_UNCOVERED = 1.0  # seconds: shorter uncovered pieces are cue timing, not missing words
UNCOVERED_SHARE = 0.05  # movie: this share of speech without a cue -> "uncovered speech"
UNCOVERED_SECONDS = 30.0  # ... or this much in all
MERGED_SPEECH = 120.0  # seconds of speech before a one-voice result looks suspicious
MERGED_SHARE = 0.85  # one speaker holding this share of the speech -> "speakers merged?"
DROPPED_MANY = 5  # segments dropped as hallucinations -> "hallucinations dropped"
FAST_SHARE = 0.10  # share of cues above max_cps -> "fast cues"
SILENCE_DB = -50.0  # loudness below this (dBFS) is silence on the timeline
LONG_SILENCE = 10.0  # seconds of silent audio shown as a long silence


@dataclass
class CueQuality:
    index: int  # 1-based, as in the SRT
    start: float
    end: float
    text: str
    speaker: str | None
    score: float | None  # 0-100, None when no word of the transcript falls in the cue
    cps: float
    expected: float  # words it probably gets wrong (the module docstring)
    unsure: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class Quality:
    estimate: float | None  # 0-100; None without speech
    confidence: float | None
    coverage: float | None
    language_factor: float
    speech_seconds: float
    uncovered_seconds: float
    uncovered: list[tuple[float, float]]
    unsure_words: list[dict[str, Any]]
    silences: list[tuple[float, float]]
    speaker_seconds: dict[str, float]
    dropped: int
    cps: list[float]
    cues: list[CueQuality]
    flags: list[str]

    def summary(self) -> dict[str, Any]:
        """The part the library page and `subsmith status` read (report.json)."""
        d = asdict(self)
        for key in ("cues", "unsure_words", "cps", "uncovered", "silences"):
            d.pop(key)
        d["cue_count"] = len(self.cues)
        d["flagged_cues"] = sum(1 for c in self.cues if c.flags)
        return d


def subtract(
    spans: list[tuple[float, float]], cover: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The parts of `spans` that no interval of `cover` touches (both sorted by start)."""
    out: list[tuple[float, float]] = []
    cover = sorted(cover)
    j = 0
    for a, b in sorted(spans):
        while j < len(cover) and cover[j][1] <= a:
            j += 1
        k, t = j, a
        while k < len(cover) and cover[k][0] < b:
            if cover[k][0] > t:
                out.append((t, cover[k][0]))
            t = max(t, cover[k][1])
            k += 1
        if t < b:
            out.append((t, b))
    return out


def _silences(level: list[float]) -> list[tuple[float, float]]:
    """Runs of audio below SILENCE_DB lasting LONG_SILENCE or more: a broken or missing
    track shows here, where Silero's lane only says "no speech"."""
    runs, start = [], None
    for i, db in enumerate([*level, 0.0]):
        if db < SILENCE_DB and start is None:
            start = i
        elif db >= SILENCE_DB and start is not None:
            if (i - start) * LOUDNESS_STEP >= LONG_SILENCE:
                runs.append((start * LOUDNESS_STEP, i * LOUDNESS_STEP))
            start = None
    return runs


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _dropped(steps: dict[str, Any]) -> int:
    """Segments srt_generation dropped as hallucinations: its note is the only record."""
    notes = (steps.get("srt_generation") or {}).get("notes") or ""
    for part in notes.split(";"):
        words = part.split()
        if "dropped" in words and words and words[0].isdigit():
            return int(words[0])
    return 0


def _cue_speaker(
    words: list[dict[str, Any]], turns: list[dict[str, Any]], c0: float, c1: float
) -> str | None:
    """The speaker with the most time in the cue: its words' speakers (joined from the
    diarization as srt_generation joins them), else the diarization's turns by overlap."""
    time: dict[str, float] = {}
    for w in words:
        if w.get("speaker"):
            time[w["speaker"]] = time.get(w["speaker"], 0.0) + max(0.01, w["end"] - w["start"])
    if not time:
        for t in turns:
            o = _overlap(c0, c1, t["start"], t["end"])
            if o > 0:
                time[t["speaker"]] = time.get(t["speaker"], 0.0) + o
    return max(time, key=time.get) if time else None  # type: ignore[arg-type]


def word_wrong(probability: float, avg_logprob: float) -> float:
    """P(the word is wrong), from its probability and its segment's avg_logprob."""
    p = min(max(probability, 1e-4), 1 - 1e-4)
    z = WORD_BIAS + WORD_LOGIT * math.log(p / (1 - p)) + WORD_LOGPROB * avg_logprob
    return 1 / (1 + math.exp(-z))


def cue_words(movie: Movie) -> list[list[dict[str, Any]]]:
    """The transcript's words in each cue (by the word's middle), each with "_seg", the
    index of its segment."""
    segments = movie.transcript.get("segments") or []
    if movie.turns:  # the words' speakers, as srt_generation joins them
        segments = assign_speakers({"segments": segments}, movie.turns)["segments"]
    words = sorted(
        ({**w, "_seg": i} for i, s in enumerate(segments) for w in s.get("words") or []),
        key=lambda w: w["start"],
    )
    starts = [w["start"] for w in words]
    out = []
    for cue in movie.cues:
        lo = bisect.bisect_left(starts, cue.start - 0.5)
        out.append(
            [
                w
                for w in words[lo : bisect.bisect_right(starts, cue.end)]
                if cue.start - 0.05 <= (w["start"] + w["end"]) / 2 <= cue.end + 0.05
            ]
        )
    return out


def missed_words(movie: Movie) -> list[float]:
    """Per cue, the words the decoder probably left out near it: Silero speech of
    MISSED_GAP s or more with no word, at the movie's words per second of speech; the
    part inside a cue counts to it, the part between two cues half to each."""
    cues = movie.cues
    out = [0.0] * len(cues)
    speech = [(r["start"], r["end"]) for r in movie.speech]
    speech_s = sum(b - a for a, b in speech)
    words = [
        (w["start"] - MISSED_PAD, w["end"] + MISSED_PAD)
        for s in movie.transcript.get("segments") or []
        for w in s.get("words") or []
    ]
    if not cues or not speech_s:
        return out
    rate = len(words) / speech_s
    ends = [c.end for c in cues]
    for a, b in subtract(speech, words):
        if b - a < MISSED_GAP:
            continue
        inside = 0.0
        i = bisect.bisect_left(ends, a)  # cues end in order (they do not overlap)
        while i < len(cues) and cues[i].start < b:
            o = _overlap(a, b, cues[i].start, cues[i].end)
            out[i] += rate * o
            inside += o
            i += 1
        k = bisect.bisect_left(ends, (a + b) / 2)  # the first cue ending after the middle
        near = [i for i in (k - 1, k) if 0 <= i < len(cues)]
        for i in near:
            out[i] += rate * (b - a - inside) / len(near)
    return out


def assess(movie: Movie, max_cps: float = 20.0) -> Quality:
    """The estimate, the flags and each cue's score for one movie."""
    segments = movie.transcript.get("segments") or []
    corrected = [(c.get("start", 0.0), c.get("end", 0.0)) for c in movie.corrections]
    turns = movie.turns

    cues: list[CueQuality] = []
    in_cues: list[dict[str, Any]] = []
    likely: list[int] = []  # cues at CUE_EXPECTED or more
    for n, (cue, mine, missed) in enumerate(
        zip(movie.cues, cue_words(movie), missed_words(movie), strict=True), 1
    ):
        in_cues.extend(mine)
        probs = [w.get("probability", 1.0) for w in mine]
        score = 100 * sum(probs) / len(probs) if probs else None
        segs = [segments[i] for i in sorted({w["_seg"] for w in mine})]
        wrong = [
            word_wrong(w.get("probability", 1.0), segments[w["_seg"]].get("avg_logprob", 0.0))
            for w in mine
        ]
        expected = sum(wrong) + missed
        unsure = [w["word"].strip() for w in mine if w.get("probability", 1.0) < UNSURE_WORD]
        flags = []
        if expected >= CUE_EXPECTED:
            why = [f"{w}?" for w in unsure[:4]] + (["words missed"] if missed >= 0.5 else [])
            flags.append(f"likely wrong words ({expected:.1f}{': ' if why else ''}{' '.join(why)})")
            likely.append(n - 1)
        if any(
            s.get("no_speech_prob", 0.0) > NO_SPEECH and s.get("avg_logprob", 0.0) < DOUBT_LOGPROB
            for s in segs
        ):
            flags.append("maybe no speech")
        if any(s.get("compression_ratio", 0.0) > HIGH_COMPRESSION for s in segs):
            flags.append("repetitive")
        cps = reading_speed(cue)
        if cps > max_cps:
            flags.append(f"fast ({cps:.0f} cps)")
        if any(a <= cue.end and b >= cue.start for a, b in corrected):
            flags.append("name corrected")
        cues.append(
            CueQuality(
                n,
                cue.start,
                cue.end,
                " / ".join(cue.lines),
                _cue_speaker(mine, turns, cue.start, cue.end),
                None if score is None else round(score, 1),
                round(cps, 1) if math.isfinite(cps) else 99.0,
                round(expected, 2),
                unsure,
                flags,
            )
        )
    likely.sort(key=lambda i: -cues[i].expected)
    for i in likely[max(1, int(CUE_SHARE * len(cues))) :]:  # over the budget: unflagged
        cues[i].flags = cues[i].flags[1:]

    speech = [(r["start"], r["end"]) for r in movie.speech]
    speech_s = sum(b - a for a, b in speech)
    pieces = subtract(speech, [(c.start, c.end) for c in movie.cues])
    uncovered = [(a, b) for a, b in pieces if b - a >= MIN_UNCOVERED]
    uncovered_s = sum(b - a for a, b in uncovered)
    probs = [w.get("probability", 1.0) for w in in_cues]
    confidence = sum(probs) / len(probs) if probs else None
    coverage = 1 - uncovered_s / speech_s if speech_s > 0 else None
    lang_p = movie.transcript.get("language_probability")
    lang = min(1.0, float(lang_p) / LANGUAGE_SURE) if lang_p is not None else 1.0
    estimate = None
    if confidence is not None and coverage is not None:
        estimate = round(100 * confidence * coverage * lang, 1)
    speaker_s: dict[str, float] = {}
    for t in turns:
        speaker_s[t["speaker"]] = speaker_s.get(t["speaker"], 0.0) + t["end"] - t["start"]
    dropped = _dropped(movie.steps)
    unsure_words = [
        {"start": w["start"], "end": w["end"], "word": w["word"].strip(), "p": w["probability"]}
        for w in in_cues
        if w.get("probability", 1.0) < UNSURE_WORD
    ]

    flags = []
    if speech_s and (uncovered_s >= UNCOVERED_SECONDS or uncovered_s > UNCOVERED_SHARE * speech_s):
        flags.append(f"uncovered speech ({uncovered_s:.0f} s)")
    if confidence is not None and (
        confidence < LOW_CONFIDENCE or len(unsure_words) > UNSURE_SHARE * len(probs)
    ):
        flags.append(f"low confidence ({100 * confidence:.0f})")
    if lang_p is not None and float(lang_p) < LANGUAGE_SURE:
        flags.append(f"language uncertain ({movie.transcript.get('language')} {lang_p:.2f})")
    total = sum(speaker_s.values())
    if speech_s >= MERGED_SPEECH and turns and max(speaker_s.values()) > MERGED_SHARE * total:
        flags.append(f"many speakers merged? ({len(speaker_s)} found)")
    if dropped >= DROPPED_MANY:
        flags.append(f"hallucinations dropped ({dropped})")
    cps_all = [c.cps for c in cues]
    fast = sum(1 for v in cps_all if v > max_cps)
    if cues and fast > FAST_SHARE * len(cues):
        flags.append(f"fast cues ({fast})")
    if speech_s > 0 and not movie.cues:
        flags.append("speech but no cue")
    return Quality(
        estimate=estimate,
        confidence=None if confidence is None else round(confidence, 3),
        coverage=None if coverage is None else round(coverage, 3),
        language_factor=round(lang, 3),
        speech_seconds=round(speech_s, 1),
        uncovered_seconds=round(uncovered_s, 1),
        uncovered=uncovered,
        unsure_words=unsure_words,
        silences=_silences(movie.loudness),
        speaker_seconds={k: round(v, 1) for k, v in sorted(speaker_s.items())},
        dropped=dropped,
        cps=cps_all,
        cues=cues,
        flags=flags,
    )
