"""The parts of bench/subtitles_real.md about cues on non-speech and dialogue dashes
(issue 28): the non-speech set, the two gates that keep cues off it (laughter only;
doubted by the decoder and barely heard by Silero) scored on and off, the short replies
of the references, the speech segments nearest the gates, and dash precision and recall
against reference speaker turns. Imported by bench/subtitles_real.py."""

from __future__ import annotations

import contextlib
import json
import re
from math import sqrt

from subsmith.subtitles import hallucination

NON_SPEECH = ("sound-events", "sound-events-track")
SPEECH = ("speech-dev", "film-dev", "ami-train", "speakers-dev")


@contextlib.contextmanager
def gates_off():
    """make_cues as it was before the two gates (the baseline of 'for the change')."""
    saved = hallucination.laughter_only, hallucination.barely_heard
    hallucination.laughter_only = lambda norm: False
    hallucination.barely_heard = lambda seg, words, regions: False
    try:
        yield
    finally:
        hallucination.laughter_only, hallucination.barely_heard = saved


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a share k/n (95 %)."""
    if not n:
        return 0.0, 1.0
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def short_replies(refs: dict[str, str]) -> list[tuple[str, str]]:
    """(recording, sentence) of every sentence of one or two words in the references."""
    out = []
    for key, text in sorted(refs.items()):
        for sent in re.split(r"(?<=[.!?])\s+", text.strip()):
            if 1 <= len(sent.split()) <= 2:
                out.append((key, sent))
    return out


def replies_kept(replies, per: dict) -> int:
    """How many of the short replies appear (normalised) in the recording's cue text."""
    return sum(f" {_norm(s)} " in f" {_norm(per[k].get('text', ''))} " for k, s in replies)


def near_gates(work, meta: dict) -> list[str]:
    """Every speech-corpus segment the decoder doubts as barely_heard does (the first of
    its two conditions), with what keeps it: Silero's peak and the average log prob."""
    out = []
    for model in meta["models"]:
        for key in meta["seconds"]:
            if key.split("/", 1)[0] not in SPEECH:
                continue
            segs = json.loads((work / model / f"{key}.json").read_text())["segments"]
            speech = json.loads((work / "silero" / f"{key}.json").read_text())["speech"]
            for seg in segs:
                words = seg.get("words") or []
                probs = [w["probability"] for w in words]
                if not probs or sum(probs) / len(probs) >= hallucination.DOUBTFUL_WORD_PROB:
                    continue
                if seg["no_speech_prob"] <= hallucination.LONE_NO_SPEECH:
                    continue
                peak = hallucination.silero_peak(words, speech)
                out.append(
                    f"| {model} | {key} | {seg['text'].strip()[:40]!r} "
                    f"| {sum(probs) / len(probs):.2f} | {seg['no_speech_prob']:.2f} "
                    f"| {peak:.2f} | {seg['avg_logprob']:.2f} "
                    f"| {'dropped' if hallucination.barely_heard(seg, words, speech) else 'kept'} |"
                )
    return out


def holds_two_speakers(span: tuple[float, float], turns, min_seconds: float = 0.2) -> bool:
    """Two or more reference speakers talk inside span, each min_seconds at least."""
    said: dict[str, float] = {}
    for a, b, who in turns:
        overlap = min(b, span[1]) - max(a, span[0])
        if overlap > 0:
            said[who] = said.get(who, 0.0) + overlap
    return sum(t >= min_seconds for t in said.values()) >= 2


def dash_rows(rows: dict, ref_turns: dict, models) -> list[str]:
    """Per model and corpus with reference turns: dashed cues, precision (Wilson 95 %),
    and recall over the cues that hold two reference speakers."""
    out = []
    for model in models:
        per = rows[(model, True)]
        for corpus in ("ami-train", "speakers-dev", "both"):
            keys = [k for k in per if k in ref_turns and corpus in ("both", k.split("/", 1)[0])]
            dashed = two = right = 0
            for k in keys:
                for span, is_dashed in per[k].get("spans", []):
                    both = holds_two_speakers(span, ref_turns[k])
                    dashed += is_dashed
                    two += both
                    right += is_dashed and both
            lo, hi = wilson(right, dashed)
            prec = f"{right / dashed:.0%} ({right}/{dashed})" if dashed else "-"
            rec = f"{right / two:.0%} ({right}/{two})" if two else "-"
            out.append(
                f"| {model} | {corpus} | {len(keys)} | {dashed} | {prec} "
                f"| {lo:.0%}-{hi:.0%} | {rec} |"
            )
    return out


def dropped_detail(work, meta: dict) -> list[str]:
    """A table row per segment on the non-speech set that the two gates drop, with the
    evidence: word probability, no_speech_prob, Silero's peak, avg_logprob, the gate."""
    out = []
    for model in meta["models"]:
        for key in meta["seconds"]:
            if key.split("/", 1)[0] not in NON_SPEECH:
                continue
            segs = json.loads((work / model / f"{key}.json").read_text())["segments"]
            speech = json.loads((work / "silero" / f"{key}.json").read_text())["speech"]
            for seg in hallucination.filter_segments(segs, speech)[1]:
                if "laughter only" not in seg and "barely heard" not in seg:
                    continue
                at = float(seg.split("s ", 1)[0])
                (s,) = [x for x in segs if round(x["start"], 1) == at]
                words = [
                    w
                    for w in s["words"]
                    if hallucination.in_speech(
                        w["start"], w["end"], hallucination.speech_spans(speech, 0.3)
                    )
                ]
                probs = [w["probability"] for w in words]
                out.append(
                    f"| {model} | {key} | {at:.1f} | {s['text'].strip()[:36]!r} "
                    f"| {sum(probs) / len(probs):.2f} | {s['no_speech_prob']:.2f} "
                    f"| {hallucination.silero_peak(words, speech):.2f} | {s['avg_logprob']:.2f} "
                    f"| {'laughter' if 'laughter only' in seg else 'barely heard'} |"
                )
    return out


def alone_peak(data, stem: str) -> float:
    """Silero's highest speech probability over one sound-events clip decoded alone."""
    from real_decode import load

    from subsmith.vad import silero

    audio = load(data / "sound-events" / f"{stem}.wav")
    return float(silero.speech_probs(silero.silero_session(1), [audio], len(audio)).max())
