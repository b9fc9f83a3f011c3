"""Accuracy beside speed on real speech: long-form movies built from a folder of real
recordings with exact transcripts (`/work/shared/data/speech-dev/` here; its README).

    .venv/bin/python bench/speech_dev.py DATA_DIR            # writes bench/speech_dev.md
    .venv/bin/python bench/speech_dev.py DATA_DIR --film 0   # the short movies only

The movies are built the way films are: passages of real speech (one to three
consecutive recordings, with the reader's own short pauses between them) separated by
silences, music and noise of varied lengths, so that a 30 s decoding window holds the
end of one passage and the start of the next, and passages fall across window edges.
Nothing is tuned to these files: the layout is drawn from a fixed seed.

Two sets of movies, reported apart: `--movies 4` short ones (1-1.5 min, each recording
used once) and `--film 2` longer ones (~7.5 min) in which each recording is used
`--reuse 3` times, in newly drawn orders. Why both: the recordings hold 3.4 min of
speech, so the short movies have two or three 30 s windows each, fewer than one batch of
4, and every run pays its fixed cost (model load ~0.6 s, the VAD) on ~1 min of audio;
a film is 2 h with hundreds of windows. The short movies are the primary accuracy
figures (every sentence once); the film-length ones show speed where batches fill up.
A recording heard again is decoded afresh (each run is a new process), in other windows
beside other neighbours, so its sentences are scored once per use.

Four paths, each a fresh process (bench/asr_worker.py, under bench/peak.py for the
peak RSS), interleaved movie by movie so the machine's drift hits all four alike:

- ours batched (as shipped: `asr.batch_size` of config.yaml), our VAD + our asr stage
- ours one stream (`batch_size 0`)
- bare faster-whisper one stream, its own VAD (`vad_filter=True`)
- bare faster-whisper batched (BatchedInferencePipeline, its own VAD)

Scored with Whisper's English text normaliser (whisper-normalizer) and jiwer: word error
rate, and lost sentences: reference sentences none of whose words is a hit in the
alignment of the whole output against the whole reference.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import soundfile

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from scoring import score, table  # noqa: E402  (bench/, beside this script)
from speech_dev_run import MODES, run_one  # noqa: E402
from speech_movies import RATE, build_movies, load_clips  # noqa: E402

# ---------------------------------------------------------------- the section


def report(sets: list[tuple[str, str, list[dict]]], runs: dict, modes: list[str], argv, batch):
    """The section: the command and method, then per set of movies (short, film-length)
    its movies, the paths overall with the targets, and per movie."""
    import datetime
    import os
    import platform

    lines = [
        "## Real speech: every word reaches the subtitles (bench/speech_dev.py)",
        "",
        f"Made by `.venv/bin/python bench/speech_dev.py {' '.join(argv)}` on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPU "
        f"cores (shared with other work: compare times only within this table), Python "
        f"{platform.python_version()}. Model tiny.en, int8, CPU, language en; ours decodes "
        f"with asr.beam_size {batch[1]}, bare faster-whisper with its default beam 5; VAD "
        "and ASR settings of config.yaml. Each run a fresh process (load + VAD + decode; the "
        "WAV is read before the clock starts), peak RSS of its whole process tree; the paths "
        "interleaved movie by movie. WER after Whisper's English normaliser "
        "(whisper-normalizer) with jiwer; a lost sentence is a reference sentence none of "
        "whose words is a hit in the alignment. CPU s is the process's CPU time over all "
        "its threads: less moved than wall time by other work on a shared machine.",
        "",
    ]
    for title, intro, movies in sets:
        lines += [f"### {title}", "", intro, ""]
        lines += set_report(movies, runs, modes, batch)
    return "\n".join(lines) + "\n"


def set_report(
    movies: list[dict], runs: dict, modes: list[str], batch: tuple[int, int]
) -> list[str]:
    """One set of movies: what they are, the paths overall, the targets, per movie."""

    def label(m: str) -> str:
        return MODES[m].format(batch=batch[0], beam=batch[1])

    lines = [
        table(
            ["movie", "length s", "passages", "sentences", "gaps"],
            [
                [
                    m["name"],
                    f"{len(m['audio']) / RATE:.1f}",
                    len(m["passages"]),
                    sum(len(p["sentences"]) for p in m["passages"]),
                    gaps_text(m["passages"]),
                ]
                for m in movies
            ],
        ),
        "",
    ]
    overall = []
    for mode in modes:
        rs = [runs[(m["name"], mode)] for m in movies]
        errors = sum(r["score"]["errors"] for r in rs)
        words = sum(r["score"]["ref_words"] for r in rs)
        overall.append(
            {
                "mode": mode,
                "wer": 100 * errors / words,
                "lost": sum(len(r["score"]["lost"]) for r in rs),
                "sentences": sum(r["score"]["sentences"] for r in rs),
                "seconds": sum(r["seconds"] for r in rs),
                "cpu": sum(r["cpu_s"] for r in rs),
                "rss": max(r["rss_mb"] for r in rs),
                "redecoded": sum(r["coverage"].get("redecoded_seconds", 0.0) for r in rs),
            }
        )
    by = {o["mode"]: o for o in overall}
    lines += [
        "Overall:",
        "",
        table(
            ["path", "WER %", "lost sentences", "time s", "CPU s", "peak RSS MB", "re-decoded s"],
            [
                [
                    label(o["mode"]),
                    f"{o['wer']:.2f}",
                    f"{o['lost']} of {o['sentences']}",
                    f"{o['seconds']:.1f}",
                    f"{o['cpu']:.1f}",
                    f"{o['rss']:.0f}",
                    f"{o['redecoded']:.1f}" if o["mode"].startswith("ours") else "",
                ]
                for o in overall
            ],
        ),
        "",
    ]
    if {"ours_batched", "bare_one", "bare_batched"} <= by.keys():
        ours, one, bb = by["ours_batched"], by["bare_one"], by["bare_batched"]
        checks = [
            ("lost sentences, ours as shipped", f"{ours['lost']}", "0", ours["lost"] == 0),
            (
                "WER, ours as shipped vs bare one stream",
                f"{ours['wer']:.2f} vs {one['wer']:.2f}",
                "≤ bare + 0.5",
                ours["wer"] <= one["wer"] + 0.5,
            ),
        ]
        for what, key in (("time", "seconds"), ("CPU time", "cpu")):
            checks += [
                (
                    f"{what}, ours as shipped / bare one stream",
                    f"{ours[key] / one[key]:.2f}×",
                    "≤ 0.6×",
                    ours[key] <= 0.6 * one[key],
                ),
                (
                    f"{what}, ours as shipped / bare batched",
                    f"{ours[key] / bb[key]:.2f}×",
                    "≤ 1.25×",
                    ours[key] <= 1.25 * bb[key],
                ),
            ]
        if "ours_one" in by:
            checks.append(
                (
                    "lost sentences, ours one stream",
                    f"{by['ours_one']['lost']}",
                    "0",
                    by["ours_one"]["lost"] == 0,
                )
            )
        lines += [
            "Targets:",
            "",
            table(
                ["what", "measured", "target", "met"],
                [[a, b, c, "yes" if d else "**no**"] for a, b, c, d in checks],
            ),
            "",
            f"Bare faster-whisper batched loses {bb['lost']} of {bb['sentences']} sentences "
            f"(WER {bb['wer']:.2f} %).",
            "",
        ]
    rows = []
    for m in movies:
        for mode in modes:
            r = runs[(m["name"], mode)]
            rows.append(
                [
                    m["name"],
                    label(mode),
                    f"{100 * r['score']['wer']:.2f}",
                    f"{len(r['score']['lost'])} of {r['score']['sentences']}",
                    f"{r['seconds']:.1f}",
                    f"{r['cpu_s']:.1f}",
                    f"{r['rss_mb']:.0f}",
                    f"{r['coverage'].get('redecoded_seconds', 0.0):.1f}"
                    if mode.startswith("ours")
                    else "",
                ]
            )
    headers = ["movie", "path", "WER %", "lost", "time s", "CPU s", "peak RSS MB"]
    lines += ["Per movie:", "", table(headers + ["re-decoded s"], rows), "", "Lost sentences:", ""]
    lost = [
        f"- {m['name']}, {label(mode)}: “{s}”"
        for m in movies
        for mode in modes
        for s in runs[(m["name"], mode)]["score"]["lost"]
    ]
    return lines + (lost or ["- none"]) + [""]


def gaps_text(passages: list[dict]) -> str:
    """The gaps between passages: each one for a short movie, counts for a long one."""
    gaps = [p["gap_after"] for p in passages[:-1]]
    if len(gaps) <= 8:
        return ", ".join(gaps)
    kinds = [g.split()[0] for g in gaps]
    secs = [float(g.split()[1]) for g in gaps]
    return ", ".join(f"{kinds.count(k)} {k}" for k in ("silence", "music", "noise")) + (
        f" ({min(secs):.1f}-{max(secs):.1f} s)"
    )


BEGIN, END = "<!-- speech_dev: begin -->", "<!-- speech_dev: end -->"


def hook_into_results(section: str, results: Path, begin: str = BEGIN, end: str = END) -> None:
    """Put the section into bench/results.md between its markers (appended the first
    time), so bench/run.py's own report and this one live side by side (vad_combine's
    section too, with its own markers)."""
    text = results.read_text(encoding="utf-8") if results.exists() else ""
    block = f"{begin}\n{section}{end}\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    results.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from subsmith.core import settings
    from subsmith.speech import asr

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path, help="folder of WAVs with transcripts.tsv")
    ap.add_argument("--movies", type=int, default=4, help="short movies (each recording once)")
    ap.add_argument(
        "--film", type=int, default=2, help="film-length movies (0: none; module docstring)"
    )
    ap.add_argument("--reuse", type=int, default=3, help="times each recording is used in them")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", type=Path, default=BENCH / "work" / "speech_dev")
    ap.add_argument("--out", type=Path, default=BENCH / "speech_dev.md")
    ap.add_argument("--results", type=Path, default=BENCH / "results.md")
    a = ap.parse_args(argv)
    shipped = settings.load()["asr"]
    beam = shipped["beam_size"]  # auto: what asr.beam gives tiny.en without names
    beam = f"auto: {asr.BEAM_ENGLISH_ONLY}" if str(beam) == "auto" else beam
    batch = (shipped["batch_size"], beam)  # what the labels say
    modes = a.modes.split(",")
    clips = load_clips(a.data)
    short = build_movies(clips, a.movies)
    film = build_movies(clips, a.film, reuse=a.reuse, prefix="film") if a.film else []
    a.work.mkdir(parents=True, exist_ok=True)
    runs = {}
    for i, m in enumerate(short + film):
        wav = a.work / f"{m['name']}.wav"
        soundfile.write(str(wav), m["audio"], RATE, subtype="PCM_16")
        order = modes[i % len(modes) :] + modes[: i % len(modes)]
        for mode in order:
            r = run_one(mode, wav, a.threads)
            r["score"] = score(m["passages"], r["text"])
            runs[(m["name"], mode)] = r
            print(
                f"{m['name']} {mode:22s} {r['seconds']:6.1f} s {r['cpu_s']:6.1f} CPU s WER "
                f"{100 * r['score']['wer']:5.2f} lost {len(r['score']['lost'])}",
                flush=True,
            )
    sets = [
        (
            "Short movies",
            f"{len(short)} movies, each recording used once, built with a fixed seed: passages "
            "of one to three recordings, silences, music and noise between them, faint room "
            "tone under all. Each movie is short (1-1.5 min), so the fixed cost of every run "
            "(loading the model, ~0.6 s; the VAD) and windows left over at the end of a batch "
            "weigh far more here than in a film.",
            short,
        )
    ]
    if film:
        sets.append(
            (
                "Film-length movies (recordings reused)",
                f"{len(film)} longer movies built the same way from the same recordings, each "
                f"recording used {a.reuse} times in newly drawn orders (`--film {a.film} "
                f"--reuse {a.reuse}`): closer to a film, where a run holds many full batches "
                "of windows. A recording heard again is decoded afresh (nothing is kept "
                "between runs), in other windows beside other neighbours; sentences count "
                "once per use. The short movies above stay the primary accuracy figures.",
                film,
            )
        )
    section = report(sets, runs, modes, argv, batch)
    a.out.write_text(section, encoding="utf-8")
    hook_into_results(section, a.results)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
