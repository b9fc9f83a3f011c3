"""Which speech regions ASR should decode: Silero's alone, or with pyannote's
segmentation-3.0 (`pyannote_vad.combine`: intersection or union), measured on real speech.

    .venv/bin/python bench/vad_combine.py DATA_DIR            # writes bench/vad_combine.md
    .venv/bin/python bench/vad_combine.py DATA_DIR --movies 2

DATA_DIR is a folder of recordings with transcripts.tsv (`/work/shared/data/speech-dev/`
here). The film-like movies are bench/speech_dev.py's own (build_movies, same seed):
passages of real speech between silences, music and noise. Per movie, in one process
(models loaded once, their load time reported apart):

- Silero VAD and pyannote's VAD on the movie, each timed;
- for each way of combining them (silero, intersection, union, and pyannote alone as a
  reference point), tiny.en decodes those regions as the asr stage does (config.yaml's
  asr settings, language en), then srt_generation's hallucination filter runs on the
  result with Silero's regions, as the pipeline does. Modes are interleaved movie by movie.

Scored like speech_dev.py (Whisper's English normaliser and jiwer): WER and lost
sentences, before and after the filter; the regions' speech seconds, reference speech they
miss, and "false speech": region seconds inside the music and noise gaps between passages.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

# bench/, beside this script: speech_dev.py's movies and their scoring
from scoring import score, table
from speech_dev import hook_into_results
from speech_movies import RATE, build_movies, load_clips

BENCH = Path(__file__).resolve().parent
MODES = ("silero", "intersection", "union", "pyannote")
BEGIN, END = "<!-- vad_combine: begin -->", "<!-- vad_combine: end -->"


def overlap(regions: list[dict], spans: list[tuple[float, float]]) -> float:
    """Seconds of `regions` inside `spans` (both sorted lists of disjoint intervals)."""
    total = 0.0
    for r in regions:
        for a, b in spans:
            total += max(0.0, min(r["end"], b) - max(r["start"], a))
    return total


def gaps(movie: dict) -> dict[str, list[tuple[float, float]]]:
    """The spans between passages, by kind (silence, music, noise)."""
    out: dict[str, list[tuple[float, float]]] = {"silence": [], "music": [], "noise": []}
    ps = movie["passages"]
    for p, q in zip(ps, ps[1:], strict=False):
        out[p["gap_after"].split()[0]].append((p["end"], q["start"]))
    return out


def regions_for(mode: str, silero_regions: list[dict], pyannote_regions: list[dict]) -> list:
    from subsmith.speech.vad import pyannote as pyannote_vad

    if mode == "pyannote":  # not a config choice: pyannote's regions alone, for reference
        return pyannote_vad.combine(pyannote_regions, [], "silero")
    return pyannote_vad.combine(silero_regions, pyannote_regions, mode)


def measure(data: Path, n_movies: int, threads: int, seeds: list[int]) -> dict:
    import torch

    from subsmith.core import settings
    from subsmith.speech import asr
    from subsmith.speech.vad import pyannote as pyannote_vad
    from subsmith.speech.vad import silero
    from subsmith.subtitles import hallucination

    torch.set_num_threads(threads)
    cfg = settings.load()
    vad_opts = silero.VadOptions.from_config(cfg["silero_vad"])
    asr_opts = replace(asr.AsrOptions.from_config(cfg["asr"]), model="tiny.en")
    clips = load_clips(data)
    movies = []
    for seed in seeds:  # each seed: the same recordings in another order and layout
        for m in build_movies(clips, n_movies, seed=seed):
            movies.append({**m, "name": m["name"] + (f"/{seed}" if len(seeds) > 1 else "")})

    t0 = time.perf_counter()
    # loaded as the asr stage loads it (its CPU workers follow asr.batch_size)
    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads, batch_size=asr_opts.batch_size)
    loads = {"tiny.en": time.perf_counter() - t0}
    t0 = time.perf_counter()
    pipeline = pyannote_vad.load_pipeline()
    loads["pyannote segmentation-3.0"] = time.perf_counter() - t0

    rows = []
    for i, m in enumerate(movies):
        audio = m["audio"]
        c0, t0 = time.process_time(), time.perf_counter()
        sil = silero.detect_speech(audio, vad_opts, threads=threads)
        vad_time = {"silero": (time.perf_counter() - t0, time.process_time() - c0)}
        c0, t0 = time.process_time(), time.perf_counter()
        pya = pyannote_vad.detect_speech(pipeline, audio)
        vad_time["pyannote"] = (time.perf_counter() - t0, time.process_time() - c0)
        g = gaps(m)
        said = [(p["start"], p["end"]) for p in m["passages"]]
        ref_speech = sum(b - a for a, b in said)
        order = MODES[i % len(MODES) :] + MODES[: i % len(MODES)]
        for mode in order:
            regions = regions_for(mode, sil, pya)
            c0, t0 = time.process_time(), time.perf_counter()
            result = asr.transcribe(model, audio, regions, asr_opts, language="en")
            decode = (time.perf_counter() - t0, time.process_time() - c0)
            kept, _ = hallucination.filter_segments(result["segments"], sil)
            raw = score(m["passages"], " ".join(s["text"] for s in result["segments"]))
            final = score(m["passages"], " ".join(s["text"] for s in kept))
            vad = [vad_time[v] for v in ({"silero", "pyannote"} & {mode} or vad_time)]
            rows.append(
                {
                    "movie": m["name"],
                    "mode": mode,
                    "raw": raw,
                    "final": final,
                    "speech_s": sum(r["end"] - r["start"] for r in regions),
                    "ref_speech_s": ref_speech,
                    "missed_s": ref_speech - overlap(regions, said),
                    "music_s": overlap(regions, g["music"]),
                    "noise_s": overlap(regions, g["noise"]),
                    "silence_s": overlap(regions, g["silence"]),
                    "gap_s": {k: sum(b - a for a, b in v) for k, v in g.items()},
                    "vad_s": sum(w for w, _ in vad),
                    "vad_cpu_s": sum(c for _, c in vad),
                    "asr_s": decode[0],
                    "asr_cpu_s": decode[1],
                    "redecoded_s": result["coverage"].get("redecoded_seconds", 0.0),
                }
            )
            print(
                f"{m['name']} {mode:12s} WER {100 * final['wer']:5.2f} "
                f"lost {len(final['lost'])} speech {rows[-1]['speech_s']:6.1f} s "
                f"music+noise {rows[-1]['music_s'] + rows[-1]['noise_s']:5.1f} s "
                f"asr {decode[0]:5.1f} s",
                flush=True,
            )
    return {
        "movies": [
            {
                "name": m["name"],
                "seconds": len(m["audio"]) / RATE,
                "passages": len(m["passages"]),
                "sentences": sum(len(p["sentences"]) for p in m["passages"]),
            }
            for m in movies
        ],
        "rows": rows,
        "loads": loads,
        "threads": threads,
    }


def totals(rows: list[dict], mode: str) -> dict:
    rs = [r for r in rows if r["mode"] == mode]

    def s(key):
        return sum(r[key] for r in rs)

    def wer(kind):
        return 100 * sum(r[kind]["errors"] for r in rs) / sum(r[kind]["ref_words"] for r in rs)

    return {
        "errors": sum(r["final"]["errors"] for r in rs),
        "ref_words": sum(r["final"]["ref_words"] for r in rs),
        "wer": wer("final"),
        "raw_wer": wer("raw"),
        "lost": sum(len(r["final"]["lost"]) for r in rs),
        "raw_lost": sum(len(r["raw"]["lost"]) for r in rs),
        "sentences": sum(r["final"]["sentences"] for r in rs),
        **{k: s(k) for k in ("speech_s", "ref_speech_s", "missed_s", "music_s", "noise_s")},
        **{k: s(k) for k in ("silence_s", "vad_s", "vad_cpu_s", "asr_s", "asr_cpu_s")},
        "music_noise_gap_s": sum(r["gap_s"]["music"] + r["gap_s"]["noise"] for r in rs),
        "lost_sentences": [f"{r['movie']}: “{x}”" for r in rs for x in r["final"]["lost"]],
    }


def summary(by: dict) -> list[str]:
    """Each combination against Silero alone, in words: the figures the default rests on."""
    base = by["silero"]
    out = []
    for m in MODES[1:]:
        o = by[m]
        out.append(
            f"- {m} against silero: {o['errors'] - base['errors']:+d} word errors "
            f"({o['wer'] - base['wer']:+.2f} points of WER), {o['lost'] - base['lost']:+d} lost "
            f"sentences, {o['speech_s'] - base['speech_s']:+.1f} s of speech decoded, "
            f"{o['music_s'] + o['noise_s'] - base['music_s'] - base['noise_s']:+.1f} s on "
            f"music and noise; VAD CPU {o['vad_cpu_s'] / max(base['vad_cpu_s'], 1e-9):.0f}x "
            f"Silero's ({o['vad_cpu_s']:.1f} s against {base['vad_cpu_s']:.1f} s; all of ASR "
            f"took {base['asr_cpu_s']:.1f} CPU s)."
        )
    return out


def report(res: dict, argv: list[str]) -> str:
    rows = res["rows"]
    by = {m: totals(rows, m) for m in MODES}
    label = {
        "silero": "silero (Silero alone)",
        "intersection": "intersection",
        "union": "union",
        "pyannote": "pyannote alone (not a config choice)",
    }
    lines = [
        "## Which regions ASR decodes: Silero, pyannote, both (bench/vad_combine.py)",
        "",
        f"Made by `.venv/bin/python bench/vad_combine.py {' '.join(argv)}` on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPU "
        f"cores shared with other work (compare times within this table only), Python "
        f"{platform.python_version()}, {res['threads']} threads. The movies are "
        "bench/speech_dev.py's (real read speech between silences, music and noise; same "
        "seed). Regions from config.yaml's silero_vad settings and pyannote's "
        "VoiceActivityDetection on segmentation-3.0; tiny.en int8 decodes them with "
        "config.yaml's asr settings (language en); srt_generation's hallucination filter "
        "then runs with Silero's regions, as the pipeline does. WER with Whisper's English "
        "normaliser and jiwer; a lost sentence has no word hit in the alignment. "
        "Model loads (once, not in the times): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in res["loads"].items())
        + ".",
        "",
        table(
            ["movie", "length s", "passages", "sentences"],
            [
                [m["name"], f"{m['seconds']:.1f}", m["passages"], m["sentences"]]
                for m in res["movies"]
            ],
        ),
        "",
        table(
            [
                "ASR regions",
                "WER % (subtitles): errors of words",
                "lost sentences",
                "WER % (ASR, before filter)",
                "speech s",
                "reference speech missed s",
                "false speech on music + noise s",
                "on silence s",
                "VAD s (CPU s)",
                "ASR s (CPU s)",
            ],
            [
                [
                    label[m],
                    f"{o['wer']:.2f}: {o['errors']} of {o['ref_words']}",
                    f"{o['lost']} of {o['sentences']}",
                    f"{o['raw_wer']:.2f}",
                    f"{o['speech_s']:.1f}",
                    f"{o['missed_s']:.1f} of {o['ref_speech_s']:.1f}",
                    f"{o['music_s'] + o['noise_s']:.1f} of {o['music_noise_gap_s']:.1f}",
                    f"{o['silence_s']:.1f}",
                    f"{o['vad_s']:.1f} ({o['vad_cpu_s']:.1f})",
                    f"{o['asr_s']:.1f} ({o['asr_cpu_s']:.1f})",
                ]
                for m, o in by.items()
            ],
        ),
        "",
        *summary(by),
        "",
        "Per movie:",
        "",
        table(
            ["movie", "ASR regions", "WER %", "lost", "speech s", "music + noise s", "ASR s"],
            [
                [
                    r["movie"],
                    r["mode"],
                    f"{100 * r['final']['wer']:.2f}",
                    len(r["final"]["lost"]),
                    f"{r['speech_s']:.1f}",
                    f"{r['music_s'] + r['noise_s']:.1f}",
                    f"{r['asr_s']:.1f}",
                ]
                for r in rows
            ],
        ),
        "",
    ]
    lost = [f"- {label[m]}, {x}" for m in MODES for x in by[m]["lost_sentences"]]
    if lost:
        lines += ["Lost sentences:", "", *lost, ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path, help="folder of WAVs with transcripts.tsv")
    ap.add_argument("--movies", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--seeds",
        default="22",
        help="layouts of the movies, comma-separated (22: bench/speech_dev.py's own movies)",
    )
    ap.add_argument("--out", type=Path, default=BENCH / "vad_combine.md")
    ap.add_argument("--results", type=Path, default=BENCH / "results.md")
    a = ap.parse_args(argv)
    section = report(
        measure(a.data, a.movies, a.threads, [int(x) for x in a.seeds.split(",")]), argv
    )
    a.out.write_text(section, encoding="utf-8")
    hook_into_results(section, a.results, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
