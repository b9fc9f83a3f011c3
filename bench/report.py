"""bench/results.md from the measurements: one function per section, in section order.

bench/run.py --report-only     rewrites bench/results.md from bench/work/results.json
"""

from __future__ import annotations

import speech_dev
import vad_combine
from common import BENCH
from pipeline_overhead import MODEL_STAGES

from subsmith.harness.stages import STAGE_NAMES

SPEECH_DEV = BENCH / "speech_dev.md"
VAD_COMBINE = BENCH / "vad_combine.md"

SECTION_NO = {"asr": 1, "pipeline": 2, "scale": 3, "memory": 4}


def table(headers: list[str], rows: list[list]) -> str:
    def cell(v):
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def asr_section(a: dict) -> list[str]:
    """Section 1 (asr_speed.py): the table of paths and the table of ratios."""
    s = a["summary"]
    order = ", ".join(a["modes"])
    out = [
        "## 1. ASR: our stages vs bare faster-whisper",
        "",
        f"{a['audio_s'] / 60:.1f} min of espeak-ng dialogue ({a['lines']} distinct "
        f"sentences, 4 voices), tiny.en (embedded), int8, CPU, cpu_threads={a['threads']} "
        "(threads.asr capped by the cores), beam 5, word timestamps, "
        "condition_on_previous_text=False, language en, VAD threshold 0.5 / min speech 250 ms "
        "/ min silence 300 ms / pad 200 ms, windows of at most 30 s, in every path. Each "
        f"run is a fresh process (`bench/asr_worker.py`); {a['reps']} repetitions "
        f"interleaved ({order}; {order}; ...), after one untimed warm-up run of each "
        "mode on a minute of the same dialogue; medians. Time includes model load, VAD and "
        "decoding (not reading the WAV). Our paths run what the silero_vad and asr stages "
        "run (`subsmith.speech.vad.silero.detect_speech`, then `subsmith.speech.asr.transcribe`); the bare "
        "paths are faster-whisper alone, with its own VAD (`vad_filter=True`).",
        "",
        "- batch4: ours as shipped (`asr.batch_size: 4`: BatchedInferencePipeline over "
        "our packed windows)",
        "- barebatch4: `BatchedInferencePipeline(WhisperModel(...)).transcribe(vad_filter="
        "True, batch_size=4, chunk_length=30, ...)`",
        "- ours: our stages decoding one stream (`asr.batch_size: 0`)",
        "- bare: `WhisperModel(...).transcribe(vad_filter=True, ...)`, segments consumed",
        "- fwvadbatch4 and fwvad (diagnostics): our asr stage's code, batched and one "
        "stream, on the regions of faster-whisper's own VAD model (what barebatch4 and "
        "bare decode): our code path without the difference between the two VAD models",
        "",
        f"Each run: `.venv/bin/python bench/asr_worker.py <path> "
        f"{a.get('wav', 'bench/work/speech_10min.wav')} {a['threads']}`.",
        "",
    ]
    rows = []
    for k, v in s.items():
        rows.append(
            [k, v["total_s"], v["load_s"], v["vad_s"], v["decode_s"], v["rtf"],
             v["speech_s"], int(v["words"]), f"{v['recall']:.1%}", int(v["maxrss_mb"])]
        )  # fmt: skip
    out += [
        table(
            [
                "path",
                "total s",
                "load s",
                "VAD s",
                "decode s",
                "RTF",
                "speech s",
                "words",
                "word recall",
                "peak RSS MB",
            ],
            rows,
        ),  # fmt: skip
        "",
        table(
            [
                "ratio (wall)",
                "median of same-repetition pairs",
                "each pair",
                "ratio of medians",
            ],
            [
                [
                    f"**{k}**" if i == 0 else k,
                    f"**{v['median_of_pairs']:.3f}**" if i == 0 else f"{v['median_of_pairs']:.3f}",
                    ", ".join(f"{x:.3f}" for x in v["pairs"]),
                    f"{v['ratio_of_medians']:.3f}",
                ]
                for i, (k, v) in enumerate(a["ratios"].items())
            ],
        ),  # fmt: skip
        "",
        "Target ≤ 1.05 (the first row is the configuration config.yaml ships). RTF = total "
        "seconds / audio seconds. For the bare paths, 'VAD s' is the eager part of "
        "`transcribe()` (its VAD plus feature setup); 'word recall' is the share of the "
        "script's words that appear in the transcript (same work done by both).",
        "",
    ]
    return out


def model_s(p: dict) -> float:
    """Seconds of the model stages of one movie's run (recomputed from its stages, so a
    report of an older run counts the same stages)."""
    return sum(p["stages"][s]["duration_s"] for s in MODEL_STAGES if s in p["stages"])


def pipeline_section(ps: dict) -> list[str]:
    """Section 2 (pipeline_overhead.py): overhead per movie and each stage's share."""
    names = list(ps)
    rows = []
    for s in STAGE_NAMES:
        row = [s]
        for n in names:
            v = ps[n]["stages"][s]
            row += [v["duration_s"], v["job_s"], v["max_rss_mb"] if v["max_rss_mb"] else "-"]
        rows.append(row)
    heads = ["stage"]
    for n in names:
        heads += [f"{n}: body s", f"{n}: job s", f"{n}: peak RSS MB"]
    summ = []
    for n in names:
        p = ps[n]
        summ.append(
            [n, f"{p['audio_s'] / 60:.1f} min", f"{p.get('speech_s', 0) / 60:.1f} min",
             p["wall_s"], p["stage_bodies_s"], model_s(p),
             p["breakdown"]["startup_s"], p["breakdown"]["between_stages_s"],
             p["breakdown"]["finish_s"], p["overhead_s"], f"**{p['overhead_share']:.1%}**",
             f"{(p['wall_s'] - model_s(p)) / p['wall_s']:.1%}"]
        )  # fmt: skip
    p0 = ps[names[0]]
    out = [
        "## 2. Whole-pipeline overhead (one movie)",
        "",
        "Two movies, each from a fresh `out/` with ffmpeg's test picture as the video: "
        "**clip**, the dialogue of section 1; **feature**, a feature-length movie made of "
        "that dialogue four times, each followed by as long again of quiet room noise "
        "(about half speech, as a film's soundtrack is). Each run uses a temporary copy of "
        "the workflow that only adds `benchmark:` files to each rule "
        "(`bench/work/wf_copy`, rules/ untouched):",
        "",
        f"    {p0['command']}",
        "",
        table(
            [
                "movie",
                "length",
                "speech (VAD)",
                "snakemake wall s",
                "stage bodies s",
                "model stages s",
                "launch → 1st body s",
                "hand-overs s",
                "after last s",
                "overhead s",
                "overhead share",
                "non-model share",
            ],
            summ,
        ),  # fmt: skip
        "",
        "Overhead = wall − the sum of every stage's own measured duration (its body, from "
        "its .status file); target ≤ 5 %. Non-model share = wall − the model stages "
        f"({', '.join(MODEL_STAGES)}), i.e. ffmpeg's demux and mux, tmdb, the name "
        "stages and the subtitle stage counted as overhead too. "
        "Launch → first body: Python and Snakemake start, config validation, DAG, "
        "pre-flight, the first job's interpreter; hand-overs (between the stages of the critical chain): job scheduling, a new "
        "Python per `script:` job and its imports; after last: the last job's exit, final "
        "manifests, Snakemake's shutdown.",
        "",
        table(heads, rows),
        "",
        "Snakemake's `benchmark:` memory is sampled (every 0.5 s for 30 s, then every 30 s), "
        "so short peaks can be missed; section 4 has exact peaks (os.wait4).",
        "",
    ]
    return out


def scale_section(c: dict) -> list[str]:
    """Section 3 (library_scale.py): dry runs and throughput."""
    rows = [
        [n, d["ours_s"], d["minimal_s"], f"**{d['ratio']:.2f}**",
         d.get("every_s", "-"),
         f"{d['ratio_every']:.2f}" if "ratio_every" in d else "-",
         d["conventions_s"], f"{d['ratio_conventions']:.2f}",
         5 * int(n) + 1]
        for n, d in c["dry"].items()
    ]  # fmt: skip
    out = [
        "## 3. Library scale",
        "",
        "`snakemake -s <Snakefile> --directory <library> --cores 2 -n` on libraries of "
        "empty placeholder `.mkv` files: **ours** (`Snakefile`, with its config "
        "validation, discovery, input functions, hooks, default profile and logger "
        "plugin), as shipped; **every script checked**, the same with "
        "`SUBSMITH_CHECK_EVERY_SCRIPT=1`, which turns off subsmith/harness/scriptcheck.py so "
        "that Snakemake reads the script of every job before it plans (what it does on "
        "its own); **minimal**, `bench/minimal/Snakefile` (the same DAG: 5 chained "
        "per-movie rules + `all`, same files, `shell:` rules, nothing else); and "
        "**conventions**, `bench/minimal/conventions/Snakefile` (the minimal one with "
        "every rule written to the project's conventions: `script:`, two named logs, "
        "conda, threads, resources, params; Snakemake's own per-job script check). "
        "Interleaved, in a shuffled order each repetition; medians of "
        + " / ".join(str(len(d["all"]["ours"])) for d in c["dry"].values())
        + " repetitions (more for the small libraries, whose second-long runs the "
        "machine's noise moves most):",
        "",
        table(
            [
                "movies",
                "ours s",
                "minimal s",
                "ours / minimal",
                "every script checked s",
                "every / minimal",
                "conventions s",
                "conventions / minimal",
                "jobs",
            ],
            rows,
        ),  # fmt: skip
        "",
        "Target ours / minimal ≤ 1.2. The two right-hand ratios show what Snakemake's "
        "per-job script check costs: every script checked is ours with it, conventions "
        "the minimal workflow written to our rule conventions, with it.",
        "",
        f"Throughput, short movies ({c['movie_s']:.1f} s of dialogue each, all five stages):",
        "",
        table(
            ["run", "movies", "wall s", "movies / min"],
            [
                [
                    "one `snakemake --cores 2` run over the library",
                    c["n_movies"],
                    c["parallel_s"],
                    c["parallel_per_min"],
                ],
                [
                    "one movie at a time (one `snakemake --cores 2 out/<m>/final.mkv` each)",
                    c["n_seq"],
                    c["seq_s"],
                    c["seq_per_min"],
                ],
            ],
        ),  # fmt: skip
        "",
        f"Library run vs one at a time: **{c['speedup']:.2f}x** the throughput. "
        + (
            f"(One-at-a-time is measured on {c['n_seq']} movies to keep the bench short; "
            "it is a rate, per movie.)"
            if c["n_seq"] != c["n_movies"]
            else ""
        ),
        "",
    ]
    return out


def memory_section(mm: dict) -> list[str]:
    """Section 4 (stage_memory.py): peak RSS of each stage's body."""
    rows = []
    for s, v in mm["stages"].items():
        how = (
            "WAV path, read in blocks / regions only (as the scripts read it)"
            if s.endswith("_path")
            else ("ffmpeg, streams" if s == "demux" else "whole WAV loaded as an array")
        )
        what = (
            f"{v['regions']} regions, {v['speech_s']:.0f} s speech"
            if "regions" in v
            else (f"{v['segments']} segments" if "segments" in v else "")
        )
        rows.append([s, how, v["wall_s"], int(v["maxrss_mb"]), what])
    out = [
        "## 4. Memory on a long track",
        "",
        f"A {mm['hours']:g}-hour 16 kHz track (silence with faint noise, a quiet tone one "
        f"minute in ten, and {mm['speech_inserts']} short dialogues of "
        f"{mm['speech_each_s']:.0f} s), muxed to an audio-only MKV (AAC), then each "
        "stage's body run as its script runs it (`bench/stage_worker.py`), one fresh "
        "process each (`.venv/bin/python bench/stage_worker.py <stage> <files> <threads>`); "
        "peak RSS from os.wait4 (the whole process tree, ffmpeg included):",
        "",
        table(["stage", "input", "wall s", "peak RSS MB", "result"], rows),
        "",
        f"- the whole track as float32: {mm['float32_audio_mb']:.0f} MB "
        f"(audio.wav on disk, int16: {mm['int16_wav_mb']:.0f} MB); Python with numpy, "
        "soundfile, onnxruntime, faster_whisper and subsmith imported and nothing else: "
        f"{mm['imports_only_mb']:.0f} MB",
        "- the `_path` rows read the audio as scripts/silero_vad.py and scripts/asr.py do "
        "(they pass `ctx.input.wav`: VAD reads 60 s blocks, ASR only the speech regions); "
        "the plain rows load the whole track as an array first, for comparison. ASR here "
        "decodes as one stream (`batch_size: 0`); the stage's default batched decoding "
        "peaked lower in section 1 (batch4 vs ours), so these ASR rows are an upper bound.",
        "",
    ]
    return out


def subtitles_section(st: dict) -> list[str]:
    """Section 5 (subtitle_check.py): the checker on the bench's own SRTs."""
    out = [
        "## 5. Subtitle conformance of the bench's own transcripts",
        "",
        f"Every SRT the runs above wrote ({st['files']} files, {st['cues']} cues), "
        "checked with `subsmith check-srt`'s code and the default rules: "
        f"**{st['errors']} hard violations** (line length, lines, overlaps, minimum gap, "
        f"duration); the lowest share of cues within 20 characters/s in any file: "
        f"**{st['min_within_cps']:.0%}** (bar: 0 violations, >= 95 %)."
        + (f" Files with errors: {st['files_with_errors']}." if st["errors"] else "")
        + (f" Files under 95 %: {st['below_95']}." if st["below_95"] else ""),
        "",
    ]
    return out


def header(r: dict, argv: list[str]) -> list[str]:
    """Title, the command, merged sections and the machine."""
    m = r["machine"]
    return [
        "# subsmith benchmarks",
        "",
        f"Made by `{' '.join(['.venv/bin/python', 'bench/run.py', *argv])}` "
        f"(`make bench`) on {r['date']}, in {r['total_s'] / 60:.1f} min.",
        "",
        *(
            f"Section {SECTION_NO[sec]} ({sec}) is from a later run on the same machine, "
            f"`.venv/bin/python bench/run.py {' '.join(x['argv'])}` on {x['date']} "
            f"({x['total_s'] / 60:.1f} min), merged with `--report-only --merge`.\n"
            for sec, x in r.get("merged", {}).items()
        ),
        f"Machine: {m['nproc']} CPUs (`nproc`), `{m['cpu']}` (/proc/cpuinfo), {m['memory']} RAM; "
        f"Python {m['python']}, Snakemake {m['snakemake']}, faster-whisper "
        f"{m['faster_whisper']}, CTranslate2 {m['ctranslate2']}; executor plugins "
        f"installed: {', '.join(m.get('executor_plugins') or ['none'])}. Load average at start: "
        + ", ".join(f"{x:.2f}" for x in m["load_before"])
        + ". CPU speed on these shared machines varies 2-4x between runs, so only the "
        "ratios within this one run mean much; absolute seconds are indicative.",
        "",
    ]


SECTIONS = {
    "asr": asr_section,
    "pipeline": pipeline_section,
    "scale": scale_section,
    "memory": memory_section,
    "subtitles": subtitles_section,
}


def report(r: dict, argv: list[str]) -> str:
    """The whole of results.md: the sections measured, then bench/analysis.md if any."""
    out = header(r, argv)
    for name, section in SECTIONS.items():
        if name in r:
            out += section(r[name])
    if SPEECH_DEV.exists():  # bench/speech_dev.py's section: real speech, its own run
        out += [speech_dev.BEGIN, SPEECH_DEV.read_text().rstrip("\n"), speech_dev.END, ""]
    if VAD_COMBINE.exists():  # bench/vad_combine.py's section: which regions ASR decodes
        out += [vad_combine.BEGIN, VAD_COMBINE.read_text().rstrip("\n"), vad_combine.END, ""]
    if r.get("analysis"):
        out += ["## Analysis", "", r["analysis"], ""]
    return "\n".join(out)
