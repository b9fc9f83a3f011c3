"""Drop what Whisper says when nobody speaks.

Whisper is known to invent text over music and silence ("Thank you for watching.",
"[Music]", the same line again and again). Five gates: a word must lie inside a
speech region found by the VAD stage; a phrase the decoder wrote twice where the
aligner found audio for it only once goes once (unheard_repeat); music or sound tags
alone are not dialogue;
a segment that repeats the previous ones, or is a stock phrase Whisper produces
from nothing, is dropped when the model itself doubts it; and a segment of a window
the model itself calls silent is dropped unless it decoded it with confidence.

Why the last gate: Whisper's own silence check skips a window only when
no_speech_prob > 0.6 *and* avg_logprob < -1.0, so text invented at -0.6 passes it,
and faster-whisper's BatchedInferencePipeline (our default decoder) computes
no_speech_prob but never skips on it. Measured with tiny.en: real speech, also under a
music bed, had no_speech_prob <= 0.55 (AMI meeting excerpts, espeak dialogue); text
invented over music or silence had 0.68-0.96, with avg_logprob below -0.59 or mean
word probability below 0.5 where it passed Whisper's check (tests/test_hallucination.py
checks both sides). The VAD already called the region speech, so the two must agree
that it is not before we drop words: high no_speech_prob alone never drops a
confident line.

A sixth gate works on what is left (`drop_lone_doubtful`): a word alone in its segment,
with no other kept word within LONE_S on either side, that the decoder doubted and that
Silero did not hear as speech, is dropped. That is the one-word cue ("Hmm.", "Oh.") Whisper
writes over music, effects or room tone next to a false or padded VAD region, which passes
the padded in-speech gate above. Conservative on purpose, every condition must hold: a
real short reply ("Yes.", "No!", "Hmm?") is either heard by Silero (its regions cover
most of the word: espeak's replies are covered whole, tests/test_hallucination.py), or
decoded with confidence, or said near other dialogue.

Two more for real effects tracks (issue 28, bench/subtitles_real.md): a segment whose
every word is laughter ("Ha ha ha", "hahaha") is a sound for the SDH track, not dialogue
(`laughter_only`); and a segment the decoder doubts (mean word probability and
no_speech_prob) goes when Silero barely heard speech there (the peak probability
silero_vad keeps per region) or the decode failed Whisper's own logprob check
(`barely_heard`: a far voice in street noise, laughter read as "So.").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from .text import join_words

STOCK_PHRASES = (
    "thank you for watching",
    "thanks for watching",
    "please subscribe",
    "like and subscribe",
    "subscribe to my channel",
    "see you in the next video",
    "see you guys in the next",
    "in the next video",
    "welcome back to my channel",
    "welcome back to the channel",
    "hope you enjoyed this video",
    "subtitles by",
    "transcribed by",
    "amara.org",
    "translated by",
)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


_PADDED_PHRASES = tuple(f" {_norm(p)} " for p in STOCK_PHRASES)


def speech_spans(
    regions: Sequence[dict[str, float]], pad: float
) -> tuple[list[float], list[float]]:
    """The VAD regions widened by pad and merged: sorted starts and ends, for in_speech.

    A feature film has thousands of words and hundreds of regions; a bisect per word
    over merged spans replaces a scan of every region per word."""
    starts: list[float] = []
    ends: list[float] = []
    for a, b in sorted((r["start"] - pad, r["end"] + pad) for r in regions):
        if ends and a <= ends[-1]:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def in_speech(t0: float, t1: float, spans: tuple[list[float], list[float]]) -> bool:
    """Whether the middle of [t0, t1] lies in one of speech_spans' spans."""
    mid = (t0 + t1) / 2
    starts, ends = spans
    k = bisect_right(starts, mid) - 1
    return k >= 0 and mid <= ends[k]


NO_SPEECH = 0.6  # Whisper's own no_speech_threshold
DOUBTFUL_LOGPROB = -0.5
DOUBTFUL_WORD_PROB = 0.5
SHORT = 80  # characters: a stock phrase inside a long line is dialogue quoting it
# A repeated phrase is dropped only where this share of its words got no time at all
# from the aligner (start == end): real repeated speech ("no, no, no") takes time.
UNHEARD_SHARE = 0.8
MIN_REPEAT_WORDS = 3


def _phrases(text: str) -> set[str]:
    """The phrases Whisper learned from video captions that occur in text."""
    norm = f" {_norm(text)} "
    return {p for p in _PADDED_PHRASES if p in norm}


def stock_phrase_across(texts: Sequence[str], i: int) -> bool:
    """Segment i holds a stock phrase, alone or split with a short neighbour ("I'm gonna
    see you guys" | "in the next video"): Whisper cuts its invented outros anywhere."""
    if len(texts[i]) >= SHORT:
        return False
    if _phrases(texts[i]):
        return True
    for j in (i - 1, i + 1):
        if 0 <= j < len(texts) and len(texts[j]) < SHORT:
            pair = " ".join((texts[j], texts[i]) if j < i else (texts[i], texts[j]))
            if _phrases(pair) - _phrases(texts[j]):
                return True
    return False


def unheard_repeat(words: Sequence[dict[str, Any]]) -> tuple[int, int] | None:
    """The words [i, j) that repeat the phrase beside them and that the aligner gave no
    time, or None.

    The batched decoder sometimes writes a sentence once more than it was said (seen on
    the names bench: "... in the market square. Hester Prynne stood alone on the
    scaffold in the market square." with a third copy, under a prompt). The word aligner
    then has no audio left for the extra copy and squeezes it into zero-length words,
    which would become a cue of its own. For a phrase of p words repeated back to back,
    removing any p consecutive words of the 2p leaves the same text, so the p words
    with the fewest seconds go, and only when nearly all of them have none."""
    norm = [_norm(w.get("word", "")) for w in words]
    n = len(words)
    best: tuple[int, int] | None = None
    for p in range(MIN_REPEAT_WORDS, n // 2 + 1):
        run = 0  # words k with norm[k] == norm[k + p], ending at the current k
        fresh = 0  # the first p-window not weighed yet (each is weighed once)
        for k in range(n - p):
            run = run + 1 if norm[k] and norm[k] == norm[k + p] else 0
            if run < p:
                continue
            lo = k - run + 1  # norm[lo : k + 1 + p] is periodic with period p
            for i in range(max(lo, fresh), k + 2):
                cut = words[i : i + p]
                unheard = sum(w["end"] - w["start"] <= 0.0 for w in cut)
                if unheard >= UNHEARD_SHARE * p and (best is None or p > best[1] - best[0]):
                    best = (i, i + p)
            fresh = k + 2
    return best


def drop_unheard_repeats(
    words: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """words without the repeated phrases the aligner found no audio for (unheard_repeat),
    and the text of each phrase dropped."""
    kept, gone = list(words), []
    while (cut := unheard_repeat(kept)) is not None:
        i, j = cut
        gone.append(join_words([w["word"] for w in kept[i:j]]))
        kept = kept[:i] + kept[j:]
    return kept, gone


def model_says_silence(seg: dict[str, Any], words: Sequence[dict[str, Any]]) -> bool:
    """Whisper calls the window silent and is unsure of the words it decoded there."""
    if seg.get("no_speech_prob", 0) <= NO_SPEECH:
        return False
    probs = [w["probability"] for w in words if "probability" in w]
    unsure_words = bool(probs) and sum(probs) / len(probs) < DOUBTFUL_WORD_PROB
    return seg.get("avg_logprob", 0) < DOUBTFUL_LOGPROB or unsure_words


def filter_segments(
    segments: Sequence[dict[str, Any]],
    regions: Sequence[dict[str, float]] | None,
    *,
    pad: float = 0.3,
    max_repeats: int = 2,
) -> tuple[list[dict[str, Any]], list[str]]:
    """(kept segments with kept words, one note per dropped segment)."""
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    recent: list[str] = []
    texts = [s.get("text", "") for s in segments]
    spans = speech_spans(regions, pad) if regions is not None else None
    for i, seg in enumerate(segments):
        text = texts[i]
        words = list(seg.get("words") or [])
        if spans is not None:
            words = [w for w in words if in_speech(w["start"], w["end"], spans)]
        words, repeats = drop_unheard_repeats(words)
        for phrase in repeats:
            dropped.append(f"{seg.get('start', 0):.1f}s repeated without audio: {phrase[:60]!r}")
        norm = _norm(join_words([w["word"] for w in words]) if words else "")
        reason = None
        if not words or not norm:
            reason = "outside speech" if seg.get("words") and not words else "no words"
        elif not re.search(r"[^\W\d_]{2,}", _untag(text)):
            reason = "sound tag only"
        elif model_says_silence(seg, words):
            reason = "the model heard no speech"
        elif laughter_only(norm):
            reason = "laughter only (a sound for the SDH track, not dialogue)"
        elif regions is not None and barely_heard(seg, words, regions):
            reason = "doubted by the decoder and barely heard by Silero"
        elif recent.count(norm) >= max_repeats:
            reason = "repeated"
        elif stock_phrase_across(texts, i) and (
            seg.get("no_speech_prob", 0) > 0.3 or seg.get("avg_logprob", 0) < -0.7
        ):
            reason = "stock phrase over little speech"
        if reason:
            dropped.append(f"{seg.get('start', 0):.1f}s {reason}: {text.strip()[:60]!r}")
            continue
        recent = (recent + [norm])[-5:]
        kept.append({**seg, "words": words})
    if regions is not None:
        kept, lone = drop_lone_doubtful(kept, regions)
        dropped += lone
    return kept, dropped


# Laughter written as words: "Ha ha ha", "hahahaha", "Heh.", "Hehe" (not a bare "he").
LAUGH = re.compile(r"h[ae]h|(?:ha)+h?|(?:he){2,}h?")


def laughter_only(norm: str) -> bool:
    """Every word of the (normalised) text is laughter: a non-speech vocalisation, which
    the SDH track tags ([laughs], issue 34), not dialogue. "Ha ha, very funny." is kept."""
    return bool(norm) and all(LAUGH.fullmatch(t) for t in norm.split())


BARELY_PEAK = 0.8  # Silero's peak over the words below this: it barely crossed its 0.5
LOGPROB_FLOOR = -1.0  # Whisper's own logprob_threshold: below it the decode failed its check


def silero_peak(words: Sequence[dict[str, Any]], regions: Sequence[dict[str, float]]) -> float:
    """Silero's peak probability of the regions under the words, weighted by the seconds
    of words each region covers (1.0 where the regions carry no peak: an older VAD file)."""
    total = weighted = 0.0
    for w in words:
        a, b = w["start"], max(w["end"], w["start"] + 0.01)
        for r in regions:
            cover = min(b, r["end"]) - max(a, r["start"])
            if cover > 0:
                total += cover
                weighted += cover * r.get("peak", 1.0)
    return weighted / total if total else 1.0


def clear_voice_spans(regions: Sequence[Mapping[str, float]]) -> list[tuple[float, float]]:
    """(start, end) of Silero's regions (vad/silero_segments.json "speech") where it clearly
    heard a voice: peak at least BARELY_PEAK (1.0 where the regions carry no peak). A laugh
    or an effect Silero half-hears (peak ~0.5) is not one. stranded.py and sound/onsets.py
    read dialogue from it."""
    return [(r["start"], r["end"]) for r in regions if r.get("peak", 1.0) >= BARELY_PEAK]


def barely_heard(
    seg: dict[str, Any], words: Sequence[dict[str, Any]], regions: Sequence[dict[str, float]]
) -> bool:
    """Words over effects or ambience (a far voice in street noise, laughter read as
    "So."): the decoder doubts them (mean word probability below 0.5 and no_speech_prob
    above 0.4) and either Silero barely heard speech there (peak below BARELY_PEAK) or
    the decode failed Whisper's own logprob check. A real short reply is heard clearly by
    Silero and decoded above the floor (bench/subtitles_real.md: every rule and figure)."""
    probs = [w["probability"] for w in words if "probability" in w]
    doubted = (
        bool(probs)
        and sum(probs) / len(probs) < DOUBTFUL_WORD_PROB
        and seg.get("no_speech_prob", 0.0) > LONE_NO_SPEECH
    )
    if not doubted:
        return False
    return silero_peak(words, regions) < BARELY_PEAK or seg.get("avg_logprob", 0) < LOGPROB_FLOOR


LONE_S = 2.0  # no other kept word this close (seconds) on either side: the word is alone
HEARD_SHARE = 0.5  # Silero's regions must cover this share of the word for it to be heard
LONE_NO_SPEECH = 0.4  # a lone word's window the model gives this no_speech_prob is doubted
LONE_LOGPROB = -0.8  # ... and so is one decoded below this average log probability


def heard_share(t0: float, t1: float, regions: Sequence[dict[str, float]]) -> float:
    """Share of [t0, t1] (widened to 0.3 s around its middle when shorter: aligned words
    can have no length) that Silero's regions cover, unpadded."""
    mid = (t0 + t1) / 2
    a, b = min(t0, mid - 0.15), max(t1, mid + 0.15)
    spans = speech_spans(regions, 0.0)
    covered = sum(max(0.0, min(b, e) - max(a, s)) for s, e in zip(*spans, strict=True))
    return covered / (b - a)


def lone_doubtful(
    seg: dict[str, Any], before: float, after: float, regions: Sequence[dict[str, float]]
) -> bool:
    """The segment is one word, nothing kept lies within LONE_S of it (before/after: the
    distances to the nearest kept words), the decoder doubted it and Silero did not hear it."""
    words = seg.get("words") or []
    if len(words) != 1 or min(before, after) < LONE_S:
        return False
    w = words[0]
    doubted = (
        w.get("probability", 1.0) < DOUBTFUL_WORD_PROB
        or seg.get("no_speech_prob", 0.0) > LONE_NO_SPEECH
        or seg.get("avg_logprob", 0.0) < LONE_LOGPROB
    )
    return doubted and heard_share(w["start"], w["end"], regions) < HEARD_SHARE


def drop_lone_doubtful(
    segments: Sequence[dict[str, Any]], regions: Sequence[dict[str, float]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """(segments without the lone doubtful words of lone_doubtful, one note per drop)."""
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    for i, seg in enumerate(segments):
        words = seg.get("words") or []
        if len(words) == 1:
            w = words[0]
            prev_end = kept[-1]["words"][-1]["end"] if kept and kept[-1].get("words") else -1e9
            later = segments[i + 1].get("words") if i + 1 < len(segments) else None
            nxt = later[0]["start"] if later else 1e12
            if lone_doubtful(seg, w["start"] - prev_end, nxt - w["end"], regions):
                text = join_words([w["word"]])
                dropped.append(
                    f"{seg.get('start', 0):.1f}s lone word nobody was heard say: {text!r}"
                )
                continue
        kept.append(seg)
    return kept, dropped


def _untag(text: str) -> str:
    return re.sub(r"\[[^\]]*\]|\([^)]*\)|[♪♫]", " ", text)
