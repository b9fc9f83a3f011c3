"""subsmith benchmarks: `make bench` (or `.venv/bin/python bench/run.py`).

Every ratio is measured side by side in this one run (CPU speed here varies 2-4x between
runs). Inputs are generated (espeak-ng, ffmpeg), nothing is downloaded. Work files go
to bench/work/ (git-ignored; generated media are cached there between runs).

    bench/run.py                 # everything, writes bench/results.md
    bench/run.py --quick         # small sizes, for development (writes bench/work/results_quick.md)
    bench/run.py --only asr,scale

Sections: asr (our ASR stage path vs bare faster-whisper), pipeline (snakemake overhead on
one movie), scale (dry-run at 10/100/1000 movies vs a minimal Snakefile; 20-movie
throughput), memory (peak RSS of demux, silero_vad, asr on a 2-hour track).
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import media_gen  # noqa: E402
import yaml  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
SNAKEMAKE = str(BIN / "snakemake")
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
NPROC = os.cpu_count() or 1


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["HF_HUB_OFFLINE"] = "1"
    e["PYANNOTE_METRICS_ENABLED"] = "0"
    return e


def measured(
    cmd: list[str], cwd: Path | None = None, timeout: float = 3600, extra_env: dict | None = None
) -> dict:
    """Run cmd (no shell); wall seconds, peak RSS (MB) of its whole process tree, output.

    The peak comes from bench/peak.py, a small launcher, not from this process: a child's
    ru_maxrss starts at its parent's RSS at fork time."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".rss") as rss,
    ):
        t0 = time.perf_counter()
        p = subprocess.Popen(
            [PY, str(BENCH / "peak.py"), rss.name, *cmd],
            cwd=cwd,
            env={**env(), **(extra_env or {})},
            stdout=out,
            stderr=err,
        )
        # A blocking wait (Popen.wait(timeout) polls, up to 50 ms late); a timer kills.
        killer = threading.Timer(timeout, p.kill)
        killer.start()
        p.wait()
        killer.cancel()
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text = Path(rss.name).read_text().strip()
        res = {
            "rc": p.returncode,
            "wall_s": wall,
            "maxrss_mb": int(text) / 1024 if text else float("nan"),  # Linux: KiB
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }
    if res["rc"] != 0:
        tail = (res["stderr"] or res["stdout"])[-3000:]
        raise RuntimeError(f"command failed ({res['rc']}): {' '.join(cmd)}\n{tail}")
    return res


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON line in output: {text[-500:]}")


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def table(headers: list[str], rows: list[list]) -> str:
    def cell(v):
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def word_recall(text: str, refs: list[dict]) -> float:
    said = set(words_of(text))
    expected = words_of(" ".join(r["text"] for r in refs))
    return sum(1 for w in expected if w in said) / max(1, len(expected))


def asr_threads() -> int:
    # What the asr job gets: threads.asr, capped by --cores (= the machine's cores here).
    return max(1, min(CONFIG["threads"]["asr"], NPROC))


# --------------------------------------------------------------------------- 1. ASR
def bench_asr(
    work: Path, minutes: float, reps: int, modes: list[str], pairs: list[tuple[str, str]]
) -> dict:
    """Every mode in a fresh process, interleaved (A, B, C, A, B, C, ...); each pair's
    ratio is the median of its same-repetition ratios."""
    wav, refs, audio = media_gen.speech_track(work, minutes)
    audio_s = len(audio) / media_gen.RATE
    del audio
    threads = asr_threads()
    # One untimed run of every mode on a minute of the same speech first: otherwise the
    # first timed run alone pays for a cold page cache (model files, libraries), which
    # made session 2's first batch4 run ~10 % slower than its later ones.
    warm, _, _ = media_gen.speech_track(work, 1)
    for m in modes:
        subprocess.run(
            [PY, str(BENCH / "asr_worker.py"), m, str(warm), str(threads)],
            check=True,
            capture_output=True,
        )
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    for r in range(reps):
        for m in modes:
            res = measured([PY, str(BENCH / "asr_worker.py"), m, str(wav), str(threads)])
            j = last_json(res["stdout"])
            j["maxrss_mb"] = res["maxrss_mb"]
            j["recall"] = word_recall(j.pop("text"), refs)
            runs[m].append(j)
            print(
                f"  asr rep {r + 1} {m:10s} total {j['total_s']:6.1f} s "
                f"(load {j['load_s']:.1f}, vad {j['vad_s']:.1f}, decode {j['decode_s']:.1f})",
                flush=True,
            )
    summary = {}
    for m in modes:
        rs = runs[m]
        summary[m] = {
            k: med([x[k] for x in rs])
            for k in ("total_s", "load_s", "vad_s", "decode_s", "maxrss_mb", "recall", "speech_s")
        }
        summary[m]["rtf"] = summary[m]["total_s"] / audio_s
        summary[m]["words"] = med([x["words"] for x in rs])
    ratios = {}
    for a, b in pairs:
        each = [x["total_s"] / y["total_s"] for x, y in zip(runs[a], runs[b], strict=True)]
        ratios[f"{a}/{b}"] = {
            "median_of_pairs": med(each),
            "pairs": each,
            "ratio_of_medians": summary[a]["total_s"] / summary[b]["total_s"],
        }
    return {
        "wav": os.path.relpath(wav, ROOT),
        "audio_s": audio_s,
        "lines": len(refs),
        "threads": threads,
        "reps": reps,
        "modes": modes,
        "runs": runs,
        "summary": summary,
        "ratios": ratios,
    }


# ---------------------------------------------------------------------- 2. pipeline
SECTION_NO = {"asr": 1, "pipeline": 2, "scale": 3, "memory": 4}
STAGES = ("demux", "silero_vad", "asr", "srt_generation", "mux")


def workflow_copy(dst: Path) -> Path:
    """A temporary copy of the workflow with a `benchmark:` file added to every rule
    (the rules themselves are untouched); returns the copy's Snakefile."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in ("Snakefile", "config.yaml", "config.schema.yaml"):
        shutil.copy2(ROOT / name, dst / name)
    for d in ("rules", "scripts", "profiles", "envs"):
        shutil.copytree(ROOT / d, dst / d)
    for smk in (dst / "rules").glob("*.smk"):
        text = smk.read_text()
        text = re.sub(
            r"^rule (\w+):\n",
            lambda m: (
                f"rule {m.group(1)}:\n    benchmark:\n"
                f'        f"{{MOVIE_DIR}}/benchmarks/{m.group(1)}.tsv"\n'
            ),
            text,
            flags=re.M,
        )
        smk.write_text(text)
    return dst / "Snakefile"


def bench_pipeline(work: Path, wav: Path, name: str) -> dict:
    """One movie made from `wav`, through the whole workflow from a fresh out/."""
    wd = work / f"pipeline_{name}_{wav.stem}"  # the movie is cached: keyed by its source
    movie = name
    media_gen.wav_to_movie(wav, wd / "in" / f"{movie}.mkv", video=True)
    shutil.rmtree(wd / "out", ignore_errors=True)
    shutil.rmtree(wd / ".snakemake", ignore_errors=True)
    snakefile = workflow_copy(work / "wf_copy")
    cmd = [SNAKEMAKE, "-s", str(snakefile), "--directory", str(wd), "--cores", str(NPROC)]
    launched = time.time()
    res = measured(cmd, cwd=wd)
    ended = launched + res["wall_s"]
    d = wd / "out" / movie
    stages = {}
    for s in STAGES:
        st = json.loads((d / ".status" / f"{s}.json").read_text())
        row = {"status": st["status"], "duration_s": st["duration"]}
        row["started"] = datetime.fromisoformat(st["started_at"]).timestamp()
        row["finished"] = datetime.fromisoformat(st["finished_at"]).timestamp()
        with open(d / "benchmarks" / f"{s}.tsv") as f:
            b = next(csv.DictReader(f, delimiter="\t"))
        row["job_s"] = float(b["s"])
        row["max_rss_mb"] = float(b["max_rss"]) if b["max_rss"] not in ("NA", "-") else None
        stages[s] = row
    body = sum(r["duration_s"] for r in stages.values())
    model = stages["silero_vad"]["duration_s"] + stages["asr"]["duration_s"]
    jobs = sum(r["job_s"] for r in stages.values())
    seq = [stages[s] for s in STAGES]
    breakdown = {
        "startup_s": seq[0]["started"] - launched,
        "between_stages_s": sum(
            b["started"] - a["finished"] for a, b in zip(seq[:-1], seq[1:], strict=True)
        ),
        "finish_s": ended - seq[-1]["finished"],
    }
    transcript = json.loads((d / "asr" / "transcript.json").read_text())
    return {
        "name": name,
        "breakdown": breakdown,
        "audio_s": float(json.loads((d / "media.json").read_text())["wav"]["duration"]),
        "speech_s": float(transcript.get("speech_seconds", 0.0)),
        "wall_s": res["wall_s"],
        "maxrss_mb": res["maxrss_mb"],
        "stages": stages,
        "stage_bodies_s": body,
        "model_stages_s": model,
        "jobs_s": jobs,
        "overhead_s": res["wall_s"] - body,
        "overhead_share": (res["wall_s"] - body) / res["wall_s"],
        "non_model_share": (res["wall_s"] - model) / res["wall_s"],
        "command": " ".join(cmd),
    }


# ------------------------------------------------------------------------- 3. scale
def library(path: Path, n: int) -> Path:
    inp = path / "in"
    if inp.exists() and len(list(inp.iterdir())) == n:
        return path
    shutil.rmtree(path, ignore_errors=True)
    inp.mkdir(parents=True)
    for i in range(n):
        (inp / f"Movie {i:04d} (2001).mkv").touch()
    return path


def bench_scale(work: Path, sizes: dict[int, int], n_movies: int, n_seq: int) -> dict:
    """sizes: library size -> repetitions. A dry run of 10 movies takes about a second,
    where the machine's noise is ±0.06 s, so small libraries get more repetitions."""
    # name: (Snakefile, extra environment). "every" is ours with subsmith/scriptcheck.py
    # turned off: Snakemake checks the script of every job, as it does by itself.
    variants = {
        "ours": (ROOT / "Snakefile", {}),
        "every": (ROOT / "Snakefile", {"SUBSMITH_CHECK_EVERY_SCRIPT": "1"}),
        "minimal": (BENCH / "minimal" / "Snakefile", {}),
        "conventions": (BENCH / "minimal" / "conventions" / "Snakefile", {}),
    }
    dry: dict[int, dict] = {}
    order = random.Random(0)
    for n, reps in sizes.items():
        lib = library(work / "scale" / f"lib{n}", n)
        times: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(reps):  # interleaved, in a new order each time
            for name in order.sample(list(variants), len(variants)):
                sf, extra = variants[name]
                cmd = [SNAKEMAKE, "-s", str(sf), "--directory", str(lib), "--cores", "2", "-n"]
                res = measured(cmd, cwd=lib, extra_env=extra)
                assert f"{5 * n + 1}" in res["stdout"] + res["stderr"], "unexpected job count"
                times[name].append(res["wall_s"])
        m = {k: med(v) for k, v in times.items()}
        dry[n] = {
            "ours_s": m["ours"],
            "every_s": m["every"],
            "minimal_s": m["minimal"],
            "conventions_s": m["conventions"],
            "ratio": m["ours"] / m["minimal"],
            "ratio_every": m["every"] / m["minimal"],
            "ratio_conventions": m["conventions"] / m["minimal"],
            "all": times,
        }
        print(
            f"  dry-run {n:5d} movies: ours {m['ours']:.2f} s, every script checked "
            f"{m['every']:.2f} s, minimal {m['minimal']:.2f} s, "
            f"conventions {m['conventions']:.2f} s",
            flush=True,
        )

    ours = variants["ours"][0]
    # Throughput: n_movies short movies in one run at --cores 2, vs one movie at a time.
    speech, _ = _short_dialogue()
    src = work / "short.mkv"
    if not src.exists():
        from subsmith import demo

        demo.make_movie(src, [{"audio": speech, "language": "eng", "default": True}])
    movie_s = len(speech) / media_gen.RATE
    par = work / "throughput_all"
    seq = work / "throughput_one"
    for wd, k in ((par, n_movies), (seq, n_seq)):
        shutil.rmtree(wd, ignore_errors=True)
        (wd / "in").mkdir(parents=True)
        for i in range(k):
            shutil.copy2(src, wd / "in" / f"short {i:02d}.mkv")
    cmd = [SNAKEMAKE, "-s", str(ours), "--directory", str(par), "--cores", "2"]
    t_par = measured(cmd, cwd=par)["wall_s"]
    print(f"  {n_movies} movies in one run: {t_par:.1f} s", flush=True)
    seq_times = []
    for i in range(n_seq):
        target = f"out/short {i:02d}/final.mkv"
        cmd1 = [SNAKEMAKE, "-s", str(ours), "--directory", str(seq), "--cores", "2", target]
        seq_times.append(measured(cmd1, cwd=seq)["wall_s"])
    t_seq = sum(seq_times)
    print(f"  {n_seq} movies one at a time: {t_seq:.1f} s", flush=True)
    return {
        "dry": dry,
        "movie_s": movie_s,
        "n_movies": n_movies,
        "parallel_s": t_par,
        "parallel_per_min": n_movies / t_par * 60,
        "n_seq": n_seq,
        "seq_s": t_seq,
        "seq_each_s": seq_times,
        "seq_per_min": n_seq / t_seq * 60,
        "speedup": (n_movies / t_par) / (n_seq / t_seq),
        "cmd_parallel": " ".join(cmd),
    }


def _short_dialogue():
    from subsmith import demo

    return demo.dialogue(demo.DIALOGUE[:2], lead_in=0.5, tail=0.5)


# ------------------------------------------------------------------------ 4. memory
def bench_memory(work: Path, hours: float) -> dict:
    wav, meta = media_gen.long_track(work, hours)
    t0 = time.perf_counter()
    movie = media_gen.wav_to_movie(wav, work / f"long_{hours:g}h.mkv", video=False)
    make_s = time.perf_counter() - t0
    d = work / "memory"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    out_wav, seg, tr = d / "audio.wav", d / "segments.json", d / "transcript.json"
    worker = str(BENCH / "stage_worker.py")
    threads = CONFIG["threads"]
    cmds = {
        "demux": [PY, worker, "demux", str(movie), str(out_wav)],
        "silero_vad": [
            PY, worker, "silero_vad", str(out_wav), str(seg),
            str(min(threads["silero_vad"], NPROC)),
        ],
        "asr": [PY, worker, "asr", str(out_wav), str(seg), str(tr), str(asr_threads())],
        "silero_vad_path": [
            PY, worker, "silero_vad_path", str(out_wav), str(seg),
            str(min(threads["silero_vad"], NPROC)),
        ],
        "asr_path": [
            PY, worker, "asr_path", str(out_wav), str(seg), str(tr), str(asr_threads()),
        ],
    }  # fmt: skip
    rows = {}
    for stage, cmd in cmds.items():
        res = measured(cmd)
        j = last_json(res["stdout"])
        rows[stage] = {"wall_s": res["wall_s"], "maxrss_mb": res["maxrss_mb"], **j}
        print(f"  {stage}: {res['wall_s']:.1f} s, peak RSS {res['maxrss_mb']:.0f} MB", flush=True)
    # A Python process with the same imports and nothing else, for scale.
    idle = measured([PY, "-c", "import numpy, soundfile, onnxruntime, faster_whisper, subsmith"])
    return {
        "hours": hours,
        "audio_s": meta["seconds"],
        "speech_inserts": len(meta["speech_inserts"]),
        "speech_each_s": meta["speech_seconds_each"],
        "float32_audio_mb": meta["seconds"] * 16000 * 4 / 2**20,
        "int16_wav_mb": out_wav.stat().st_size / 2**20,
        "imports_only_mb": idle["maxrss_mb"],
        "movie_make_s": make_s,
        "stages": rows,
    }


# ------------------------------------------------------------------------ report
def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import ctranslate2
    import faster_whisper
    import snakemake

    return {
        "nproc": NPROC,
        "cpu": model,
        "memory": mem,
        "python": platform.python_version(),
        "snakemake": snakemake.__version__,
        "faster_whisper": faster_whisper.__version__,
        "ctranslate2": ctranslate2.__version__,
        # Snakemake imports every installed executor plugin at start (the SLURM one pulls
        # in pandas: ~0.2 s), so say which were there.
        "executor_plugins": sorted(
            d.metadata["Name"]
            for d in importlib.metadata.distributions()
            if d.metadata["Name"].startswith("snakemake-executor-plugin-")
        ),
        "load_before": os.getloadavg(),
    }


def bench_subtitles(work: Path) -> dict:
    """Issue 5's bar on every transcript the bench produced: the checker of
    `subsmith check-srt` finds no hard violation, and >= 95 % of cues are within the
    reading speed."""
    from subsmith.subtitles import SubtitleRules, check_file

    rules = SubtitleRules()
    files = sorted(work.rglob("*.srt"))
    reports = [check_file(f, rules) for f in files]
    return {
        "files": len(files),
        "cues": sum(x.cues for x in reports),
        "errors": sum(len(x.errors) for x in reports),
        "files_with_errors": [x.path for x in reports if x.errors],
        "min_within_cps": min((x.within_cps for x in reports), default=1.0),
        "below_95": [x.path for x in reports if x.within_cps < 0.95],
    }


def report(r: dict, argv: list[str]) -> str:
    m = r["machine"]
    out = [
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
    if "asr" in r:
        a = r["asr"]
        s = a["summary"]
        order = ", ".join(a["modes"])
        out += [
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
            "run (`subsmith.vad.silero.detect_speech`, then `subsmith.asr.transcribe`); the bare "
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
                        f"**{v['median_of_pairs']:.3f}**"
                        if i == 0
                        else f"{v['median_of_pairs']:.3f}",
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
    if "pipeline" in r:
        ps = r["pipeline"]
        names = list(ps)
        rows = []
        for s in STAGES:
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
                 p["wall_s"], p["stage_bodies_s"], p["model_stages_s"],
                 p["breakdown"]["startup_s"], p["breakdown"]["between_stages_s"],
                 p["breakdown"]["finish_s"], p["overhead_s"], f"**{p['overhead_share']:.1%}**",
                 f"{p['non_model_share']:.1%}"]
            )  # fmt: skip
        p0 = ps[names[0]]
        out += [
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
                    "4 hand-overs s",
                    "after last s",
                    "overhead s",
                    "overhead share",
                    "non-model share",
                ],
                summ,
            ),  # fmt: skip
            "",
            "Overhead = wall − the sum of every stage's own measured duration (its body, from "
            "its .status file); target ≤ 5 %. Non-model share = wall − (silero_vad + asr), "
            "i.e. ffmpeg's demux and mux and the subtitle stage counted as overhead too. "
            "Launch → first body: Python and Snakemake start, config validation, DAG, "
            "pre-flight, the first job's interpreter; hand-overs: job scheduling, a new "
            "Python per `script:` job and its imports; after last: the last job's exit, final "
            "manifests, Snakemake's shutdown.",
            "",
            table(heads, rows),
            "",
            "Snakemake's `benchmark:` memory is sampled (every 0.5 s for 30 s, then every 30 s), "
            "so short peaks can be missed; section 4 has exact peaks (os.wait4).",
            "",
        ]
    if "scale" in r:
        c = r["scale"]
        rows = [
            [n, d["ours_s"], d["minimal_s"], f"**{d['ratio']:.2f}**",
             d.get("every_s", "-"),
             f"{d['ratio_every']:.2f}" if "ratio_every" in d else "-",
             d["conventions_s"], f"{d['ratio_conventions']:.2f}",
             5 * int(n) + 1]
            for n, d in c["dry"].items()
        ]  # fmt: skip
        out += [
            "## 3. Library scale",
            "",
            "`snakemake -s <Snakefile> --directory <library> --cores 2 -n` on libraries of "
            "empty placeholder `.mkv` files: **ours** (`Snakefile`, with its config "
            "validation, discovery, input functions, hooks, default profile and logger "
            "plugin), as shipped; **every script checked**, the same with "
            "`SUBSMITH_CHECK_EVERY_SCRIPT=1`, which turns off subsmith/scriptcheck.py so "
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
    if "memory" in r:
        mm = r["memory"]
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
        out += [
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
    if "subtitles" in r:
        st = r["subtitles"]
        out += [
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
    if r.get("analysis"):
        out += ["## Analysis", "", r["analysis"], ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for development")
    ap.add_argument("--only", default="asr,pipeline,scale,memory")
    ap.add_argument("--reps", type=int, default=None, help="ASR repetitions (default 3)")
    batch = CONFIG["asr"]["batch_size"]
    ap.add_argument(
        "--asr-modes",
        default=f"batch{batch},barebatch{batch},fwvadbatch{batch},ours,bare,fwvad",
        help="bench/asr_worker.py modes, run interleaved",
    )
    ap.add_argument(
        "--asr-pairs",
        default=f"batch{batch}/barebatch{batch},ours/bare,fwvadbatch{batch}/barebatch{batch},"
        "fwvad/bare",
        help="ratios to report, A/B; the first is the shipped configuration's",
    )
    ap.add_argument(
        "--feature-repeats",
        type=int,
        default=4,
        help="the feature-length movie of section 2: this many times (the dialogue, then "
        "as long of quiet noise)",
    )
    ap.add_argument("--work", default=str(BENCH / "work"))
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite bench/results.md from bench/work/results.json (e.g. after editing "
        "bench/analysis.md), measuring nothing",
    )
    ap.add_argument(
        "--merge",
        nargs="*",
        default=[],
        help="with --report-only: results_<sections>.json files of later partial runs "
        "whose sections replace those of results.json (the report says so)",
    )
    a = ap.parse_args(argv)
    only = set(a.only.split(","))
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    q = a.quick
    if a.report_only:
        r = json.loads((work / "results.json").read_text())
        for f in a.merge:
            part = json.loads(Path(f).read_text())
            for sec in ("asr", "pipeline", "scale", "memory"):
                if sec in part:
                    r[sec] = part[sec]
                    r.setdefault("merged", {})[sec] = {
                        "date": part["date"],
                        "argv": part["argv"],
                        "total_s": part["total_s"],
                    }
            (work / "results.json").write_text(json.dumps(r, indent=1, default=str))
        r["analysis"] = (BENCH / "analysis.md").read_text().strip()
        r["subtitles"] = bench_subtitles(work)
        (BENCH / "results.md").write_text(report(r, r.get("argv", [])) + "\n")
        print(f"wrote {BENCH / 'results.md'}")
        return 0
    t0 = time.perf_counter()
    r: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M %Z"), "argv": argv}
    print(f"machine: {r['machine']}", flush=True)
    minutes = 1.5 if q else 10
    if "asr" in only:
        print("1. ASR", flush=True)
        modes = a.asr_modes.split(",")
        pairs = [tuple(x.split("/")) for x in a.asr_pairs.split(",")]
        pairs = [(x, y) for x, y in pairs if x in modes and y in modes]
        r["asr"] = bench_asr(work, minutes, a.reps or (1 if q else 3), modes, pairs)
    if "pipeline" in only:
        print("2. pipeline", flush=True)
        wav, _, _ = media_gen.speech_track(work, minutes)
        feature = media_gen.feature_track(work, wav, 1 if q else a.feature_repeats)
        r["pipeline"] = {}
        for name, w in (("clip", wav), ("feature", feature)):
            r["pipeline"][name] = bench_pipeline(work, w, name)
            print(
                f"  {name}: wall {r['pipeline'][name]['wall_s']:.1f} s, overhead "
                f"{r['pipeline'][name]['overhead_share']:.1%}",
                flush=True,
            )
    if "scale" in only:
        print("3. scale", flush=True)
        sizes = {10: 3, 100: 1} if q else {10: 15, 100: 9, 1000: 5}
        r["scale"] = bench_scale(work, sizes, 4 if q else 20, 2 if q else 5)
    if "memory" in only:
        print("4. memory", flush=True)
        r["memory"] = bench_memory(work, 0.1 if q else 2.0)
    r["subtitles"] = bench_subtitles(work)
    r["total_s"] = time.perf_counter() - t0
    analysis = BENCH / "analysis.md"
    if analysis.exists() and not q:
        r["analysis"] = analysis.read_text().strip()
    text = report(r, argv)
    full = not q and only == {"asr", "pipeline", "scale", "memory"}
    name = "results" if full else ("results_quick" if q else f"results_{'_'.join(sorted(only))}")
    dest = BENCH / "results.md" if full else work / f"{name}.md"
    dest.write_text(text + "\n")
    (work / f"{name}.json").write_text(json.dumps(r, indent=1, default=str))
    print()
    print(text)
    print(f"\nwrote {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
