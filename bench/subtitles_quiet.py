"""The parts of bench/subtitles_real.md about cues on non-speech and dialogue dashes
(issue 28): the non-speech set, the two gates that keep cues off it (laughter only;
doubted by the decoder and barely heard by Silero) scored on and off, the short replies
of the references, the speech segments nearest the gates, and dash precision and recall
against reference speaker turns. Imported by bench/subtitles_real.py."""

from __future__ import annotations

import contextlib
import json
import math
import re
from math import sqrt

from subsmith.subtitles import dialogue, hallucination
from subsmith.subtitles import turns as speaker_turns

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


def replies_kept(replies, per: dict, field: str = "text") -> int:
    """How many of the short replies appear (normalised) in the recording's cue text (or
    field: "decoded", the decoder's own)."""
    return sum(f" {_norm(s)} " in f" {_norm(per[k].get(field, ''))} " for k, s in replies)


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


def dash_rows(pers: dict, ref_turns: dict, variant: str) -> list[str]:
    """Per model and corpus with reference turns (pers: {model: {recording: run_one's
    result}}): cues, cues holding two reference speakers (the chance a random cue is
    right), dashed cues, precision (Wilson 95 %), recall over the two-speaker cues."""
    out = []
    for model, per in pers.items():
        for corpus in ("ami-train", "speakers-dev", "both"):
            keys = [k for k in per if k in ref_turns and corpus in ("both", k.split("/", 1)[0])]
            cues = dashed = two = right = 0
            for k in keys:
                for span, is_dashed in per[k].get("spans", []):
                    both = holds_two_speakers(span, ref_turns[k])
                    cues += 1
                    dashed += is_dashed
                    two += both
                    right += is_dashed and both
            lo, hi = wilson(right, dashed)
            prec = f"{right / dashed:.0%} ({right}/{dashed})" if dashed else "-"
            rec = f"{right / two:.0%} ({right}/{two})" if two else "-"
            out.append(
                f"| {variant} | {model} | {corpus} | {len(keys)} | {cues} | {two} | {dashed} "
                f"| {prec} | {lo:.0%}-{hi:.0%} | {rec} |"
            )
    return out


SETTLE = dialogue.settle_turns  # the shipped rule, whatever is patched in later


def _settle_variant(pause: float | None, min_turn: float | None, sentences: bool):
    """dialogue.settle_turns with other settings; sentences=False: every word may change."""
    settle = SETTLE

    def variant(texts, starts, ends, labels, min_turn_=dialogue.MIN_TURN_S, pause_=None):
        turn = min_turn if min_turn is not None else min_turn_
        if not sentences:
            return settle(["x."] * len(texts), starts, ends, labels, turn, math.inf)
        return settle(texts, starts, ends, labels, turn, pause or dialogue.SENTENCE_PAUSE_S)

    return variant


VARIANTS = {
    "pause 0.5 s ends a sentence": (0.5, None, True),
    "pause 0.3 s ends a sentence": (0.3, None, True),
    "changes inside sentences, min turn 0.5 s": (None, 0.5, False),
    "changes inside sentences, min turn 1 s": (None, 1.0, False),
    "changes inside sentences, min turn 2 s": (None, 2.0, False),
}


def dash_variants(rows: dict, ref_turns: dict, models, rerun) -> list[str]:
    """dash_rows of the shipped rule, then of each VARIANTS entry (rerun(model, key) makes
    one recording's cues again, diarization on, with the patched dialogue.settle_turns)."""
    out = dash_rows({m: rows[(m, True)] for m in models}, ref_turns, "shipped")
    try:
        for name, args in VARIANTS.items():
            dialogue.settle_turns = _settle_variant(*args)
            pers = {m: {k: rerun(m, k) for k in ref_turns} for m in models}
            out += dash_rows(pers, ref_turns, name)
    finally:
        dialogue.settle_turns = SETTLE
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

    from subsmith.speech.vad import silero

    audio = load(data / "sound-events" / f"{stem}.wav")
    return float(silero.speech_probs(silero.silero_session(1), [audio], len(audio)).max())


def _changes(hyp: list, ref: list) -> tuple[int, int, int, int]:
    """(hypothesis changes, right ones, reference changes, found ones) at the boundaries
    between words that both have a reference and a hypothesis speaker; a change counts
    within one boundary of the other side's (turn edges and word times both drift)."""
    idx = [i for i in range(len(ref)) if ref[i] is not None and hyp[i] is not None]
    h = [a for a, b in zip(idx, idx[1:], strict=False) if hyp[a] != hyp[b]]
    r = [a for a, b in zip(idx, idx[1:], strict=False) if ref[a] != ref[b]]
    pos = {a: n for n, a in enumerate(idx)}
    near = lambda x, ys: any(abs(pos[x] - pos[y]) <= 1 for y in ys)  # noqa: E731
    return len(h), sum(near(x, r) for x in h), len(r), sum(near(x, h) for x in r)


def change_rows(work, ref_turns: dict, models) -> list[str]:
    """Speaker changes as the cue builder sees them (a new cue or a dash), scored at the
    word against the reference speaker of each word (speaker_turns.speaker_finder over the
    reference turns): the shipped rule, the labels as they are, and each VARIANTS rule."""
    rules = {"shipped": SETTLE, "labels as they are": None}
    rules.update({name: _settle_variant(*args) for name, args in VARIANTS.items()})
    out = []
    for model in models:
        words = {}
        for k, turns in ref_turns.items():
            transcript = json.loads((work / model / f"{k}.json").read_text())
            diar = json.loads((work / "speakers" / f"{k}.json").read_text())["turns"]
            ws = [
                w
                for s in speaker_turns.assign_speakers(transcript, diar)["segments"]
                for w in s["words"]
            ]
            find = speaker_turns.speaker_finder(
                [{"start": a, "end": b, "speaker": who} for a, b, who in turns]
            )
            words[k] = (ws, [find(w["start"], w["end"]) for w in ws])
        for name, settle in rules.items():
            for corpus in ("ami-train", "speakers-dev"):
                tot = [0, 0, 0, 0]
                for k, (ws, ref) in words.items():
                    if not k.startswith(corpus):
                        continue
                    labels = [w["speaker"] for w in ws]
                    if settle is not None:
                        labels = settle(
                            [w["word"] for w in ws],
                            [w["start"] for w in ws],
                            [max(w["end"], w["start"]) for w in ws],
                            labels,
                        )
                    tot = [x + y for x, y in zip(tot, _changes(labels, ref), strict=True)]
                h, right, r, found = tot
                lo, hi = wilson(right, h)
                prec = f"{right / h:.0%} ({right}/{h})" if h else "-"
                out.append(
                    f"| {name} | {model} | {corpus} | {r} | {h} | {prec} "
                    f"| {lo:.0%}-{hi:.0%} | {found / r:.0%} ({found}/{r}) |"
                )
    return out


READING = """
## Reading

Non-speech. Before the two gates the decoder wrote laughter as words (two of the seven
laughter clips and both tracks: "Ha ha ha ha", "hahahahahaha", and "So." on laughter_02
from base) and a doubted phrase on a street recording; no music, knock, door,
phone, gunshot or dog clip got a cue. Laughter goes as a sound (the SDH track tags it,
issue 34); "Ha ha, very funny." stays dialogue. The second gate needs the decoder's doubt
on two signals at once and then one of two independent reasons (Silero's peak, Whisper's
own logprob floor), so no single weak signal drops a line: of every speech segment in
speech-dev, film-dev, ami-train and speakers-dev, only one meets the decoder's doubt
("I am.", a real backchannel at 20.7 s of ami-train/trn02, a reference turn of FEO066),
and Silero's peak and its logprob keep it. The samples are small: the street phrase's
peaks (0.59, 0.66) and that one doubted reply's (0.98) lie either side of 0.8. The short replies of film-dev's references are in the cues wherever
the decoder wrote them, before and after the gates, and WER does not move.

Dashes. Over all 10 ami-train excerpts and the 3 speakers-dev recordings each model makes
one dashed cue, and it is right: a precision of 1/1, whose Wilson interval (21-100 %) shows
that this data cannot show the issue's 90 %; recall is 2 %. About half of all cues hold
two reference speakers in these meetings (the columns "cues" and "cues holding two"), so
a dash is right by chance about as often: the cue-level check is lenient. Scored at the
word, the changes the shipped rule lets through are right 80 % (tiny.en) and 50 % (base)
of the time on ami-train, 89-91 % on speakers-dev (n 5-11 a row): a dash is such a change
inside a cue, so nothing here says dashes reach 90 % on meetings. Letting
changes inside sentences through with a minimum turn raises the cue-level recall (to
7-14 %), but at the word it is no more precise on ami-train (33-60 %) and it is what the
issue forbids ("never inside a sentence": "Make it so, Mr." | "LaFord."); a pause as a
sentence end changes little or loses. So the shipped rule stays. What bounds recall is
the diarization, whose labels change inside few of the cues that hold two reference
speakers (bench/diarization.md), not the cue rule.
"""
