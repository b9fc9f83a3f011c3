"""Shared fixtures: generated media with known speech, and a real Snakemake runner."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

# No test may reach the network: model lookups stay on this machine.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["PYANNOTE_METRICS_ENABLED"] = "0"

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# config.yaml as the workflow reads it: the one place the tests take a default from.
from subsmith.core import settings  # noqa: E402

CONFIG = settings.load()


def env() -> dict[str, str]:
    e = dict(os.environ)
    # A developer's own TMDB key must not send the tests' movies to TMDB: tests that
    # want a key set it, with a fake TMDB server on 127.0.0.1 (tests/fake_tmdb.py).
    for secret in ("TMDB_API_KEY", "TMDB_READ_TOKEN"):
        e.pop(secret, None)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["HF_HUB_OFFLINE"] = "1"
    e["PYANNOTE_METRICS_ENABLED"] = "0"
    return e


# Diarization costs seconds of CPU per movie; runs that test other things turn it off
# (recorded skipped). The runs about speakers pass speakers=True (and run at the faster
# step of tests/speakers_fast.yaml). Every run of one
# work folder must pass the same: Snakemake reruns a rule whose params changed.
# (A file, not --config: Snakemake's --config reads a nested `false` as the text 'false'.)
SPEAKERS_OFF = str(REPO / "tests" / "speakers_off.yaml")
SPEAKERS_FAST = str(REPO / "tests" / "speakers_fast.yaml")
# final.mkv, and nothing written beside the movies (publish:), unless library=True.
FINAL_MKV = str(REPO / "tests" / "final_mkv.yaml")


def snakemake_cmd(
    workdir: Path, *args: str, speakers: bool = False, library: bool = False
) -> list[str]:
    args = list(args)
    ours = [SPEAKERS_FAST if speakers else SPEAKERS_OFF] + ([] if library else [FINAL_MKV])
    if "--configfile" in args:  # it takes many files, later ones win; a second would replace it
        i = args.index("--configfile") + 1
        args[i:i] = ours
    else:
        args += ["--configfile", *ours]
    return [
        str(BIN / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *args,
    ]


def run_snakemake(
    workdir: Path, *args: str, timeout: float = 600, speakers: bool = False, library: bool = False
) -> subprocess.CompletedProcess:
    """Run the real workflow (CLI) on workdir/in -> workdir/out."""
    return subprocess.run(
        snakemake_cmd(workdir, *args, speakers=speakers, library=library),
        cwd=workdir,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_manifest(workdir: Path, movie: str) -> dict:
    return json.loads((workdir / "out" / movie / "manifest.json").read_text(encoding="utf-8"))


def subtitle_text(mkv: Path, index: int | None = None) -> str:
    """The text of one subtitle stream (the last one by default), as SRT, via ffmpeg."""
    from subsmith.media import probe as media

    if index is None:
        subs = [s for s in media.probe(mkv)["streams"] if s["codec_type"] == "subtitle"]
        index = subs[-1]["index"]
    return subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            f"file:{mkv}",
            "-map",
            f"0:{index}",
            "-f",
            "srt",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="session")
def dialogue():
    """(16 kHz float32 audio, reference lines with exact times) of the demo dialogue."""
    from subsmith import demo

    return demo.dialogue()


@pytest.fixture(scope="session")
def short_dialogue():
    from subsmith import demo

    return demo.dialogue(demo.DIALOGUE[:2], lead_in=0.5, tail=0.5)


@pytest.fixture(scope="session")
def regions(dialogue):
    """Silero's speech regions of the demo dialogue, with config.yaml's settings (the VAD
    and ASR tests share them)."""
    from subsmith.speech.vad import silero

    audio, _ = dialogue
    return silero.detect_speech(
        audio, silero.VadOptions.from_config(CONFIG["silero_vad"]), threads=2
    )


@pytest.fixture(scope="session")
def tiny_en():
    """The embedded English model, loaded once for every test that transcribes."""
    from subsmith.speech import asr

    model, _ = asr.load_model("tiny.en", "cpu", "int8", threads=2)
    return model


@contextlib.contextmanager
def ps_watched(secrets: Iterable[str], seen: dict) -> Iterator[dict]:
    """`ps -eww` as anyone on the machine would run it, every 0.1 s, while the block
    runs: counts samples and job scripts seen, and keeps every line holding a secret
    (seen["samples"], seen["snakemake"], seen["hits"], added to what `seen` has)."""
    secrets = tuple(secrets)
    for key, empty in (("samples", 0), ("snakemake", 0), ("hits", [])):
        seen.setdefault(key, empty)
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            out = subprocess.run(
                ["ps", "-eww", "-o", "args="], capture_output=True, text=True, check=False
            ).stdout
            seen["samples"] += 1
            seen["snakemake"] += out.count(".snakemake/scripts/")
            seen["hits"] += [ln for ln in out.splitlines() if any(s in ln for s in secrets)]
            stop.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        stop.set()
        watcher.join()
