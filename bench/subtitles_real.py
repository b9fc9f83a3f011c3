"""Subtitles on every real recording (issue 28): `python bench/subtitles_real.py
[DATA_DIR]` writes bench/subtitles_real.md from bench/real_decode.py's cache (run that first).

For each model (tiny.en, base) and diarization on and off, every recording's transcript
goes through srt_generation's own function (subsmith.srt_generation.make_cues, the
shipped rules and hallucination filter; speakers joined to words as the workflow does
when diarization is on), and the cues are scored:
- movies failed (make_cues raised) and hard breaks (the checker of `subsmith check-srt`,
  on the SRT as written and parsed back);
- joining artefacts: " -x" or " .5" inside a cue's text (a word token re-joined with a
  space before its hyphen or decimal point);
- cues on real audio without speech (sound-events' clips, alone and as two shuffled
  film-like tracks): every cue there is a wrong one;
- WER (Whisper's English normaliser, jiwer) of the cues' text against the reference,
  beside the WER of the decoder's own segment text: what srt_generation's filtering and
  joining cost in words (speech-dev exact, film-dev silver).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from common import BENCH, CONFIG

from subsmith import srt_generation, subtitles
from subsmith.subtitles.srt import parse_srt

WORK = BENCH / "work" / "real"
OUT = BENCH / "subtitles_real.md"
ARTEFACT = re.compile(r" -\w| \.\d")
NON_SPEECH = ("sound-events", "sound-events-track")


def wer(refs: list[str], hyps: list[str]) -> float | None:
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    norm = EnglishTextNormalizer()
    pairs = [(norm(r), norm(h)) for r, h in zip(refs, hyps, strict=True) if norm(r).strip()]
    if not pairs:
        return None
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])


def run_one(transcript: dict, turns: list[dict] | None, speech: list[dict], rules) -> dict:
    """What srt_generation makes of one recording, scored."""
    try:
        made = srt_generation.make_cues(transcript["segments"], speech, rules, turns=turns)
    except Exception as exc:  # noqa: BLE001 - a failed movie is what is counted
        return {"failed": f"{type(exc).__name__}: {exc}"}
    text = subtitles.to_srt(made.cues)
    parsed = parse_srt(text) if text.strip() else []
    report = subtitles.check_cue_list(parsed, rules)
    lines = [" ".join(c.lines) for c in made.cues]
    return {
        "failed": None,
        "cues": len(made.cues),
        "hard": len(report.errors),
        "artefacts": [x for x in lines if ARTEFACT.search(x)],
        "text": " ".join(lines).replace("- ", " "),
        "dashed": sum(any(ln.startswith("- ") for ln in c.lines) for c in made.cues),
        "dashed_spans": [
            (c.start, c.end) for c in made.cues if any(ln.startswith("- ") for ln in c.lines)
        ],
    }


def reference_turns(data: Path) -> dict[str, list[tuple[float, float, str]]]:
    """{corpus/stem: [(start, end, speaker)]} from the corpora's RTTM files."""
    turns: dict[str, list[tuple[float, float, str]]] = {}
    for corpus, name in (("ami-train", "train.rttm"), ("speakers-dev", "reference.rttm")):
        path = data / corpus / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            f = line.split()
            if len(f) > 7 and f[0] == "SPEAKER":
                a = float(f[3])
                turns.setdefault(f"{corpus}/{f[1]}", []).append((a, a + float(f[4]), f[7]))
    return turns


def holds_two_speakers(span: tuple[float, float], turns, min_seconds: float = 0.2) -> bool:
    """A dashed cue is right when the reference has two or more people speaking in it
    (each for min_seconds at least)."""
    said: dict[str, float] = {}
    for a, b, who in turns:
        overlap = min(b, span[1]) - max(a, span[0])
        if overlap > 0:
            said[who] = said.get(who, 0.0) + overlap
    return sum(t >= min_seconds for t in said.values()) >= 2


def measure() -> dict:
    meta = json.loads((WORK / "meta.json").read_text())
    refs = json.loads((WORK / "references.json").read_text())
    rules = subtitles.SubtitleRules.from_config(CONFIG["srt_generation"])
    rows = {}
    for model in meta["models"]:
        for diar in (False, True):
            per = {}
            for key in meta["seconds"]:
                transcript = json.loads((WORK / model / f"{key}.json").read_text())
                speech = json.loads((WORK / "silero" / f"{key}.json").read_text())["speech"]
                turns = None
                if diar:
                    turns = json.loads((WORK / "speakers" / f"{key}.json").read_text())["turns"]
                per[key] = run_one(transcript, turns, speech, rules)
                per[key]["decoded"] = " ".join(s["text"] for s in transcript["segments"])
            rows[(model, diar)] = per
    return {"meta": meta, "refs": refs, "rows": rows}


def corpus_of(key: str) -> str:
    return key.split("/", 1)[0]


def report(m: dict, data: Path) -> str:
    meta, refs, rows = m["meta"], m["refs"], m["rows"]
    ref_turns = reference_turns(data)
    corpora = sorted({corpus_of(k) for k in meta["seconds"]})
    minutes = {
        c: sum(s for k, s in meta["seconds"].items() if corpus_of(k) == c) / 60 for c in corpora
    }
    out = [
        "# Subtitles on every real recording (issue 28)",
        "",
        "`python bench/real_decode.py ../shared/data` then `python bench/subtitles_real.py`:",
        "each recording decoded once per model as the asr stage decodes (Silero's regions,",
        "the shipped asr options, English), diarized once as the diarization stage does, then",
        "through `subsmith.srt_generation.make_cues` (what the stage runs) with diarization's",
        "speakers on the words or none. Recordings: "
        + ", ".join(
            f"{c} {sum(corpus_of(k) == c for k in meta['seconds'])} ({minutes[c]:.1f} min)"
            for c in corpora
        )
        + ". sound-events-track is sound-events' clips end to end in two shuffled orders",
        "(the same 4.7 minutes of real audio, each event beside others in a 30 s window).",
        "",
        "| model | diarization | movies | failed | hard breaks | joining artefacts "
        "| cues on non-speech | dashed cues |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (model, diar), per in rows.items():
        ok = [r for r in per.values() if not r["failed"]]
        non = sum(
            r["cues"] for k, r in per.items() if corpus_of(k) in NON_SPEECH and not r["failed"]
        )
        out.append(
            f"| {model} | {'on' if diar else 'off'} | {len(per)} "
            f"| {len(per) - len(ok)} | {sum(r['hard'] for r in ok)} "
            f"| {sum(len(r['artefacts']) for r in ok)} | {non} | {sum(r['dashed'] for r in ok)} |"
        )
    out += [
        "",
        "Dialogue dashes where reference turns exist (ami-train, speakers-dev; diarization",
        "on): a dashed cue is right when two or more reference speakers talk inside it",
        "(each 0.2 s or more).",
        "",
        "| model | dashed cues | with two reference speakers | precision |",
        "|---|---|---|---|",
    ]
    for model in meta["models"]:
        per = rows[(model, True)]
        spans = [
            (k, s) for k, r in per.items() if k in ref_turns for s in r.get("dashed_spans", [])
        ]
        right = sum(holds_two_speakers(s, ref_turns[k]) for k, s in spans)
        share = f"{right / len(spans):.0%}" if spans else "-"
        out.append(f"| {model} | {len(spans)} | {right} | {share} |")
    out += [
        "",
        "Words: WER of the cues' text beside the decoder's own segment text (diarization off;",
        "Whisper's English normaliser, jiwer). film-dev's reference is silver (a larger",
        "model's), so compare the columns, not the absolute figure.",
        "",
        "| model | corpus | decoder text WER | cue text WER | difference (points) |",
        "|---|---|---|---|---|",
    ]
    for model in meta["models"]:
        per = rows[(model, False)]
        for corpus in ("speech-dev", "film-dev"):
            keys = [k for k in per if corpus_of(k) == corpus and k in refs]
            if not keys:
                continue
            r = [refs[k] for k in keys]
            dec = wer(r, [per[k]["decoded"] for k in keys])
            cue = wer(r, [per[k].get("text", "") for k in keys])
            out.append(f"| {model} | {corpus} | {dec:.2%} | {cue:.2%} | {100 * (cue - dec):+.2f} |")
    bad = [
        (model, diar, k, r)
        for (model, diar), per in rows.items()
        for k, r in per.items()
        if r["failed"]
        or r.get("hard")
        or r.get("artefacts")
        or (corpus_of(k) in NON_SPEECH and r.get("cues"))
    ]
    if bad:
        out += [
            "",
            "Every recording with a failure, a break, an artefact or a cue on non-speech:",
            "",
        ]
        for model, diar, k, r in bad[:40]:
            what = r["failed"] or (
                f"{r['hard']} breaks, artefacts {r['artefacts'][:2]}, {r['cues']} cues: "
                f"{r['text'][:80]!r}"
            )
            out.append(f"- {model}, diarization {'on' if diar else 'off'}, {k}: {what}")
    return "\n".join(out) + "\n"


def main() -> int:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH.parent.parent / "shared" / "data"
    OUT.write_text(report(measure(), data), encoding="utf-8")
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
