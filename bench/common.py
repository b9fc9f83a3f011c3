"""What every bench script shares: paths, the config, the timed runner, small statistics.

Each measurement is its own short script (asr_speed, pipeline_overhead, library_scale,
stage_memory, subtitle_check); run.py runs them in one session (`make bench`) and
report.py writes bench/results.md from what they measured.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from subsmith.core import settings  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
SNAKEMAKE = str(BIN / "snakemake")
CONFIG = settings.load()
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


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def word_recall(text: str, refs: list[dict]) -> float:
    said = set(words_of(text))
    expected = words_of(" ".join(r["text"] for r in refs))
    return sum(1 for w in expected if w in said) / max(1, len(expected))


def asr_threads() -> int:
    # What the asr job gets: threads.asr, capped by --cores (= the machine's cores here).
    return max(1, min(CONFIG["threads"]["asr"], NPROC))


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


def standalone_work(doc: str | None, argv: list[str] | None) -> tuple[bool, Path]:
    """The arguments every measurement script takes when run on its own (--quick, --work):
    (quick, the work folder, created). One place, so the scripts agree on them."""
    import argparse

    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    ap.add_argument("--quick", action="store_true", help="small sizes, for development")
    ap.add_argument("--work", default=str(BENCH / "work"))
    a = ap.parse_args(argv)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    return a.quick, work
