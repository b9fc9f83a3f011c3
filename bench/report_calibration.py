"""Does the report's estimate rank movies by how good their subtitles are? (issue 33)

Each real recording of the given folders (speech-dev: read speech with exact
transcripts; film-dev: film dialogue with silver ones; their READMEs) is one "movie":
Silero's regions, the asr stage's decoding (subsmith.asr.transcribe, the shipped
settings, tiny.en), srt_generation's hallucination filter and cue builder, then the
report's estimate (subsmith.report.quality.assess) beside the word error rate of the
cues' text against the reference (Whisper's English normaliser, jiwer). The figure:
Spearman's rank correlation between the estimate and the accuracy (1 - WER), over all
recordings and per folder, and the same for the estimate's parts alone.

    .venv/bin/python bench/report_calibration.py DATA/speech-dev DATA/film-dev
    # writes bench/report_calibration.md

Nothing is tuned here: the thresholds and formula of quality.py are as shipped.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import replace
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from speech_dev import load_clip, normaliser  # noqa: E402

from subsmith import asr, settings, subtitles  # noqa: E402
from subsmith.audio import SAMPLE_RATE  # noqa: E402
from subsmith.report import quality  # noqa: E402
from subsmith.report.movie import Movie  # noqa: E402
from subsmith.subtitles import hallucination  # noqa: E402
from subsmith.vad import silero  # noqa: E402


def references(folder: Path) -> list[tuple[str, str]]:
    """(file, text) of transcripts.tsv: speech-dev has no header, film-dev has one with a
    seconds column."""
    rows = list(csv.reader((folder / "transcripts.tsv").open(encoding="utf-8"), delimiter="\t"))
    if rows and rows[0][0] == "file":
        rows = rows[1:]
    return [(r[0], r[-1].strip()) for r in rows if r]


def spearman(xs: list[float], ys: list[float]) -> str:
    """Spearman's rho as text; a part that is the same everywhere ranks nothing."""
    from scipy.stats import spearmanr

    if len(set(xs)) < 2:
        return f"constant ({xs[0]:g} everywhere)"
    return f"{float(spearmanr(xs, ys).statistic):+.2f}"


def one(model, path: Path, ref: str, cfg: dict, threads: int) -> dict:
    """The estimate and the WER of one recording, through the stages' own code."""
    import jiwer

    audio = load_clip(path)
    v = silero.VadOptions.from_config(cfg["silero_vad"])
    a = asr.AsrOptions.from_config(cfg["asr"])
    regions = silero.detect_speech(audio, v, threads=threads)
    result = asr.transcribe(model, audio, regions, replace(a, model="tiny.en"), language="en")
    segments, dropped = hallucination.filter_segments(result["segments"], regions)
    words = [{**w, "segment": i} for i, s in enumerate(segments) for w in s.get("words", [])]
    rules = subtitles.SubtitleRules.from_config(cfg["srt_generation"])
    cues = subtitles.build_cues(words, rules)
    movie = Movie(
        name=path.stem,
        movie_dir=path.parent,
        duration=len(audio) / SAMPLE_RATE,
        media={},
        speech=regions,
        diarization={},
        transcript=result,
        corrections=[],
        cues=cues,
        steps={"srt_generation": {"notes": f"{len(dropped)} segments dropped as non-speech"}},
    )
    q = quality.assess(movie, rules.max_cps)
    norm = normaliser()
    hyp = norm(" ".join(" ".join(c.lines) for c in cues))
    wer = jiwer.wer(norm(ref), hyp) if hyp.strip() else 1.0
    return {
        "file": path.name,
        "seconds": round(len(audio) / SAMPLE_RATE, 1),
        "estimate": q.estimate if q.estimate is not None else 0.0,
        "confidence": q.confidence or 0.0,
        "coverage": q.coverage if q.coverage is not None else 0.0,
        "flags": q.flags,
        "wer": round(wer, 4),
    }


def table(rows: list[dict]) -> str:
    out = [
        "| folder | file | s | estimate | confidence | coverage | WER | flags |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['folder']} | {r['file']} | {r['seconds']} | {r['estimate']:.1f} | "
            f"{r['confidence']:.3f} | {r['coverage']:.3f} | {100 * r['wer']:.1f} % | "
            f"{', '.join(r['flags']) or '-'} |"
        )
    return "\n".join(out)


def figures(rows: list[dict]) -> list[str]:
    lines = []
    groups = {"all": rows}
    for r in rows:
        groups.setdefault(r["folder"], []).append(r)
    for name, rs in groups.items():
        acc = [1 - r["wer"] for r in rs]
        parts = ", ".join(
            f"{k} alone {spearman([r[k] for r in rs], acc)}" for k in ("confidence", "coverage")
        )
        rho = spearman([r["estimate"] for r in rs], acc)
        lines.append(
            f"- **{name}** ({len(rs)} recordings): Spearman(estimate, 1 - WER) = "
            f"**{rho}** ({parts}); mean WER {100 * sum(r['wer'] for r in rs) / len(rs):.1f} %"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=BENCH / "report_calibration.md")
    args = p.parse_args(argv)
    cfg = settings.load()
    a = asr.AsrOptions.from_config(cfg["asr"])
    model, _ = asr.load_model("tiny.en", "cpu", "int8", args.threads, batch_size=a.batch_size)
    rows = []
    t0 = time.monotonic()
    for folder in args.folders:
        for name, ref in references(folder):
            r = one(model, folder / name, ref, cfg, args.threads)
            r["folder"] = folder.name
            rows.append(r)
            print(f"{folder.name}/{name}: estimate {r['estimate']:.1f} WER {r['wer']:.3f}")
    took = time.monotonic() - t0
    lines = figures(rows)
    print("\n".join(lines))
    args.out.write_text(
        "# Report calibration: the estimate against measured WER\n\n"
        "`bench/report_calibration.py` (its docstring says how). Each recording is one movie: "
        "Silero, the asr stage's decoding with the shipped settings (tiny.en, int8, CPU), the "
        "hallucination filter and the cue builder of srt_generation, then "
        "`subsmith.report.quality.assess` as shipped (no threshold tuned to these files). "
        "WER of the cues' text after Whisper's English normaliser (jiwer). film-dev's "
        "references are silver (written by a larger ASR model), so its WER is itself a few "
        "percent off. The issue asks for a Spearman of 0.6 or more.\n\n"
        "Each recording is one passage, all of it heard: no cue misses speech, so coverage "
        "is 1 everywhere and ranks nothing here; it is there for long movies, where a "
        'decoder loses whole passages (README, "Every spoken word reaches the '
        'subtitles"). Read speech is mostly decoded without an error (WER 0 for half of '
        "speech-dev), so its ranking rests on a few errors each; film sound spreads wider. "
        "The pooled figure also ranks the two sets against each other (film-dev's WER is "
        "higher and its estimates lower than speech-dev's), so read it beside the "
        "per-folder ones.\n\n"
        + "\n".join(lines)
        + f"\n\n{len(rows)} recordings in {took:.0f} s on {args.threads} threads.\n\n"
        + table(rows)
        + "\n",
        encoding="utf-8",
    )
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
