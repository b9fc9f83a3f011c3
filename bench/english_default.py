"""Which Whisper model English gets by default (issue 32): WER and CPU time of tiny.en and
base, ours and bare faster-whisper one stream, without and with names, in one run.

    bench/english_default.py DATA_DIR [--work DIR]      # writes bench/english_default.md
    bench/english_default.py --asr-stage [MODELS]       # its cost on the bench feature

DATA_DIR holds speech-dev (read speech, exact transcripts) and film-dev (1968 film
dialogue, silver transcripts: compare columns, not absolute figures). ami-train and
speakers-dev have speaker turns but no words, so they cannot be scored here.

Each recording is one movie, as bench/real_decode.py decodes them. Ours: Silero's
regions and subsmith.speech.asr.transcribe with the shipped asr options (batched, the coverage
check, beam auto), model loaded as the asr stage loads it; with names, the text pre_ner
writes before every window and subsmith.names.check after, as scripts/asr.py runs them.
Bare: WhisperModel.transcribe on the whole recording, one stream, its own VAD set like
ours, beam 5 (its default), the same names text as `hotwords` when biased.

Names: film-dev's README gives the film's cast (the characters are what pre_ner takes,
actors off as shipped). speech-dev has no metadata, so the pipeline would decode it
unbiased; its biased rows use the characters of Sense and Sensibility (four of its
recordings are read from that novel, the rest are not): names mostly not spoken, the
cost of a prompt where it does not help.

WER: Whisper's English normaliser (whisper-normalizer) and jiwer, pooled over a corpus
(all its errors over all its reference words) and the mean of the recordings' WERs.
CPU: process time of VAD + decode (+ the name check), models loaded before the clock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from common import BENCH, CONFIG, machine
from real_decode import load, references
from scoring import normaliser, table
from speech_dev_run import BARE_BEAM

from subsmith.media.audio import SAMPLE_RATE
from subsmith.names import check as name_check
from subsmith.names import pre_ner as names
from subsmith.speech import asr
from subsmith.speech.vad import silero

CORPORA = ("speech-dev", "film-dev")
THREADS = 2  # threads.asr capped by the 2 cores the figures are for
# (label, model, side, beam): beam None is the shipped auto for ours, 5 for bare.
RUNS = [
    ("tiny.en", "tiny.en", "ours", None),
    ("base", "base", "ours", None),
    ("base beam 2", "base", "ours", 2),
    ("tiny.en", "tiny.en", "bare", None),
    ("base", "base", "bare", None),
]
CASTS = {
    "film-dev": (
        "Night of the Living Dead",
        [
            ("Duane Jones", "Ben"),
            ("Judith O'Dea", "Barbra"),
            ("Karl Hardman", "Harry Cooper"),
            ("Marilyn Eastman", "Helen Cooper"),
            ("Keith Wayne", "Tom"),
            ("Judith Ridley", "Judy"),
            ("Kyra Schon", "Karen Cooper"),
            ("Russell Streiner", "Johnny"),
        ],
    ),
    "speech-dev": (
        "Sense and Sensibility",
        [
            ("Emma Thompson", "Elinor Dashwood"),
            ("Kate Winslet", "Marianne Dashwood"),
            ("Hugh Grant", "Edward Ferrars"),
            ("Alan Rickman", "Colonel Brandon"),
            ("Greg Wise", "John Willoughby"),
            ("Gemma Jones", "Mrs. Dashwood"),
            ("Emilie Francois", "Margaret Dashwood"),
            ("Elizabeth Spriggs", "Mrs. Jennings"),
            ("Imogen Stubbs", "Lucy Steele"),
            ("Harriet Walter", "Fanny Dashwood"),
        ],
    ),
}


def entities_doc(corpus: str) -> dict:
    """entities/pre_ner.json as pre_ner writes it from a TMDB record of the cast."""
    title, cast = CASTS[corpus]
    tmdb = {
        "status": "success",
        "title": title,
        "overview": "",
        "cast": [{"name": a, "character": c, "order": i} for i, (a, c) in enumerate(cast)],
    }
    return names.pre_ner(tmdb, names.PreNerOptions.from_config(CONFIG["pre_ner"]))


def ours(model, opts, audio, vad, prompt, doc) -> str:
    regions = silero.detect_speech(audio, vad, threads=THREADS)
    result = asr.transcribe(model, audio, regions, opts, language="en", hotwords=prompt)
    if prompt:
        heard = CONFIG["pre_ner"]["heard"]
        result, _ = name_check.check(
            model, audio, regions, result, doc, opts, language="en", min_heard=heard
        )
    return " ".join(s["text"] for s in result["segments"])


def bare(model, audio, vad, prompt) -> str:
    import asr_worker

    options = asr_worker.bare_options(vad, BARE_BEAM)
    segments, _ = model.transcribe(audio, hotwords=prompt, **options)
    return " ".join(s.text.strip() for s in segments)


def wer(refs: list[str], hyps: list[str]) -> tuple[float, float]:
    """(pooled WER, mean of the recordings' WERs), normalised."""
    import jiwer

    norm = normaliser()
    r = [norm(x) for x in refs]
    h = [norm(x) or "<empty>" for x in hyps]
    pooled = jiwer.process_words(r, h)
    errors = pooled.substitutions + pooled.deletions + pooled.insertions
    words = sum(len(x.split()) for x in r)
    each = [jiwer.wer(a, b) for a, b in zip(r, h, strict=True)]
    return errors / words, sum(each) / len(each)


def run(data: Path, work: Path, argv: list[str]) -> dict:
    refs = references(data)
    clips = {c: sorted(k for k in refs if k.startswith(c + "/")) for c in CORPORA}
    audio = {k: load(data / f"{k}.wav") for c in CORPORA for k in clips[c]}
    vad = silero.VadOptions.from_config(CONFIG["silero_vad"])
    shipped = asr.AsrOptions.from_config(CONFIG["asr"])
    docs = {c: entities_doc(c) for c in CORPORA}
    rows = []
    for label, name, side, beam in RUNS:
        if side == "ours":
            model = asr.load_model(name, "cpu", "int8", THREADS, batch_size=shipped.batch_size)[0]
        else:
            from faster_whisper import WhisperModel

            path = asr.resolve_model(name)[0]
            model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=THREADS)
        opts = replace(shipped, model=name, beam_size=beam or shipped.beam_size)
        for biased in (False, True):
            row = {"label": label, "side": side, "names": biased, "corpora": {}}
            for corpus in CORPORA:
                doc = docs[corpus] if biased else None
                prompt = names.window_prompt(doc, CONFIG["pre_ner"]["bias"]) if biased else None
                hyps = []
                c0, t0 = time.process_time(), time.perf_counter()
                for key in clips[corpus]:
                    if side == "ours":
                        hyps.append(ours(model, opts, audio[key], vad, prompt, doc))
                    else:
                        hyps.append(bare(model, audio[key], vad, prompt))
                cpu, wall = time.process_time() - c0, time.perf_counter() - t0
                pooled, mean = wer([refs[k] for k in clips[corpus]], hyps)
                row["corpora"][corpus] = {
                    "wer": pooled,
                    "mean_wer": mean,
                    "cpu_s": cpu,
                    "wall_s": wall,
                    "audio_s": sum(len(audio[k]) for k in clips[corpus]) / SAMPLE_RATE,
                    "prompt": prompt,
                    "load": os.getloadavg()[0],
                    "hyps": dict(zip(clips[corpus], hyps, strict=True)),
                }
                print(
                    f"{label} {side} names={biased} {corpus}: WER {pooled:.2%} "
                    f"cpu {cpu:.1f} s wall {wall:.1f} s load {os.getloadavg()[0]:.1f}",
                    file=sys.stderr,
                    flush=True,
                )
            rows.append(row)
        del model
    out = {"rows": rows, "machine": machine(), "argv": argv}
    (work / "english_default.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


# bench/run.py section 2 on an idle machine (docs/development.md): the 87-minute feature
# through all ten stages with tiny.en, and its asr stage, in seconds.
IDLE_TOTAL_S, IDLE_ASR_S = 244.0, 67.0


def asr_stage(work: Path, models: list[str]) -> dict:
    """The asr stage's work on the bench feature (bench/run.py section 2: 10 min of
    dialogue x4 with quiet noise between, 87 min), once per model, back to back: Silero's
    regions (combine: silero, as shipped; found once, the silero_vad stage's work) and
    asr.transcribe on the WAV's path, as scripts/asr.py runs it (no names: the bench
    movie has no metadata)."""
    import media_gen

    wav, _, _ = media_gen.speech_track(work, 10)
    feature = media_gen.feature_track(work, wav, 4)
    vad = silero.VadOptions.from_config(CONFIG["silero_vad"])
    regions = silero.detect_speech(str(feature), vad, threads=THREADS)
    shipped = asr.AsrOptions.from_config(CONFIG["asr"])
    out = {"audio_s": sf_seconds(feature), "runs": {}}
    for name in models:
        model = asr.load_model(name, "cpu", "int8", THREADS, batch_size=shipped.batch_size)[0]
        before = os.getloadavg()
        c0, t0 = time.process_time(), time.perf_counter()
        result = asr.transcribe(
            model, feature, regions, replace(shipped, model=name), language="en"
        )
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        out["runs"][name] = {
            "cpu_s": cpu,
            "wall_s": wall,
            "speech_s": result["speech_seconds"],
            "words": sum(len(s["words"]) for s in result["segments"]),
            "load": [before[0], os.getloadavg()[0]],
        }
        print(f"{name}: asr cpu {cpu:.0f} s wall {wall:.0f} s", file=sys.stderr, flush=True)
        del model
    (work / "english_default_asr_stage.json").write_text(json.dumps(out, indent=1))
    return out


def sf_seconds(path: Path) -> float:
    import soundfile

    return soundfile.info(str(path)).duration


def pipeline_report(work: Path, r: dict) -> list[str]:
    """The feature through all the stages with the shipped default, from `bench/run.py
    --only pipeline --work WORK` (its results_pipeline.json and the run's transcript)."""
    f = r["pipeline"]["feature"]
    model = json.loads(
        next(work.glob("pipeline_feature_*/out/feature/asr/transcript.json")).read_text()
    )["model"]
    st = {k: v["duration_s"] for k, v in f["stages"].items()}
    load = r["machine"]["load_before"]
    return [
        "## The whole pipeline with the shipped default (measured)",
        "",
        f"`python bench/run.py --only pipeline --work {work}` ({r['date']}), niced, on the shared "
        f"machine (1/5/15-minute load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        f"before): the feature ({f['audio_s'] / 60:.0f} min) through all ten stages took "
        f"{f['wall_s']:.0f} s, **{f['wall_s'] / f['audio_s']:.3f}x real time** on 2 cores, "
        f"asr model {model}: asr {st['asr']:.0f} s, diarization {st['diarization']:.0f} s, "
        f"the other stages {sum(st.values()) - st['asr'] - st['diarization']:.0f} s. The "
        "other work on the machine can only have slowed it. (The idle tiny.en run, 244 s, "
        "came before later diarization changes: the two are not a side-by-side pair.)",
        "",
    ]


def asr_stage_report(r: dict) -> list[str]:
    head = ["model", "asr CPU s", "asr wall s", "load average before / after", "words"]
    body = [
        [k, f"{v['cpu_s']:.0f}", f"{v['wall_s']:.0f}"]
        + [f"{v['load'][0]:.1f} / {v['load'][1]:.1f}", v["words"]]
        for k, v in r["runs"].items()
    ]
    (a, x), (b, y) = list(r["runs"].items())[0], list(r["runs"].items())[-1]
    cpu, wall = y["cpu_s"] / x["cpu_s"], y["wall_s"] / x["wall_s"]
    projected = (IDLE_TOTAL_S + IDLE_ASR_S * (cpu - 1)) / r["audio_s"]
    return [
        "## Its cost on the pipeline (projected)",
        "",
        "`python bench/english_default.py --asr-stage`: the asr stage's work on the bench "
        f"feature ({r['audio_s'] / 60:.0f} min, bench/run.py section 2) with each model, back "
        "to back in one process, 2 threads. Both models through all ten stages back to "
        "back did not fit the session on the shared machine (the load averages); the "
        "shipped default alone is, below.",
        "",
        table(head, body),
        "",
        f"{b} / {a}: asr CPU {cpu:.2f}x, wall {wall:.2f}x. **Projected**, not measured: the "
        f"idle run of docs/development.md took {IDLE_TOTAL_S:.0f} s for the whole pipeline "
        f"({IDLE_TOTAL_S / r['audio_s']:.3f}x real time), {IDLE_ASR_S:.0f} s of it the asr "
        f"stage with {a}; that stage scaled by the CPU ratio gives {b} "
        f"{projected:.3f}x real time on 2 cores (the bar: 0.08x).",
        "",
    ]


def report(r: dict, argv: list[str]) -> str:
    head = ["model", "side", "names"]
    for c in CORPORA:
        head += [f"{c} WER", f"{c} mean WER", f"{c} CPU s"]
    body = []
    for row in r["rows"]:
        cells = [row["label"], row["side"], "yes" if row["names"] else "no"]
        for c in CORPORA:
            x = row["corpora"][c]
            cells += [f"{x['wer']:.2%}", f"{x['mean_wer']:.2%}", f"{x['cpu_s']:.1f}"]
        body.append(cells)
    m = r["machine"]
    loads = [row["corpora"][c]["load"] for row in r["rows"] for c in CORPORA]
    first = r["rows"][0]["corpora"]
    audio = ", ".join(f"{c} {first[c]['audio_s']:.0f} s" for c in CORPORA)
    prompts = "; ".join(f'{c}: "{r["rows"][1]["corpora"][c]["prompt"]}"' for c in CORPORA)
    return "\n".join(
        [
            "# The English default model (issue 32)",
            "",
            f"`python bench/english_default.py {' '.join(argv)}` (bench/english_default.py "
            "says what each side runs). One run, one process, "
            f"{THREADS} threads, {m['cpu']}, 1-minute load average {min(loads):.1f} to "
            f"{max(loads):.1f} after each corpus (the machine shared with other work: "
            f"compare CPU columns within this table only). Audio: {audio}.",
            "",
            "WER after Whisper's English normaliser with jiwer: pooled over the corpus, and "
            "the mean of its recordings' WERs. film-dev's reference is silver (a larger "
            "model's): compare rows, not the absolute figure. CPU: process time of VAD + "
            "decoding (+ the name check with names), models loaded before the clock. Beam: "
            "ours auto (tiny.en 2 without names, 5 with; base 5), bare 5; 'base beam 2' "
            "is ours with asr.beam_size 2. ami-train and speakers-dev have speaker turns but "
            "no word references, so no third kind of speech is scored here.",
            "",
            table(head, body),
            "",
            f"Names before every window (pre_ner's prompt from the cast's characters): {prompts}.",
            "",
            *decision(r),
        ]
    )


def decision(r: dict) -> list[str]:
    """The shipped English default (subsmith.core.models) against tiny.en, ours, from the rows."""
    from subsmith.core.models import ENGLISH_DEFAULT, ENGLISH_MODEL

    def row(label: str, biased: bool) -> dict:
        return next(
            x["corpora"]
            for x in r["rows"]
            if x["label"] == label and x["side"] == "ours" and x["names"] == biased
        )

    lines = [
        f"Shipped: `asr.model: auto` takes **{ENGLISH_DEFAULT}** for English. Ours, "
        f"{ENGLISH_DEFAULT} against {ENGLISH_MODEL}:"
    ]
    for biased in (False, True):
        d, t = row(ENGLISH_DEFAULT, biased), row(ENGLISH_MODEL, biased)
        cpu = sum(d[c]["cpu_s"] for c in CORPORA) / sum(t[c]["cpu_s"] for c in CORPORA)
        parts = [f"{c} {d[c]['wer']:.2%} against {t[c]['wer']:.2%}" for c in CORPORA]
        what = "with names" if biased else "without names"
        lines.append(f"- {what}: WER {', '.join(parts)}; CPU {cpu:.2f}x.")
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, nargs="?")
    ap.add_argument("--work", type=Path, default=BENCH / "work")
    ap.add_argument("--asr-stage", nargs="*", help="the feature's asr stage: these models")
    a = ap.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    if a.asr_stage is not None:
        asr_stage(a.work, a.asr_stage or ["tiny.en", "base"])
    elif a.data:
        run(a.data, a.work, argv)  # neither: the report again from what --work holds
    wer_run = json.loads((a.work / "english_default.json").read_text())
    text = report(wer_run, wer_run.get("argv", argv))
    more = a.work / "english_default_asr_stage.json"
    if more.exists():
        text += "\n".join(["", *asr_stage_report(json.loads(more.read_text()))])
    whole = a.work / "results_pipeline.json"
    if whole.exists():
        text += "\n".join(["", *pipeline_report(a.work, json.loads(whole.read_text()))])
    (BENCH / "english_default.md").write_text(text, encoding="utf-8")
    print(f"wrote {BENCH / 'english_default.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
