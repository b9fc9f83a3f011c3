"""Proof that a refactoring changed no output: the demo's files, hashed.

Runs the demo end to end the way `make demo` does (subsmith.demo writes in/demo.mkv,
Snakemake builds out/demo/final.mkv), in a fresh temporary work directory with this
checkout's Snakefile and package, and prints one sha256 per product:

- each stage's JSON the demo writes (media.json, tmdb's, pre_ner's entities, silero's
  and pyannote's segments, diarization's speakers, the transcript and post_ner's corrected
  one, publish's record, sound events, the report's summary) and the SRT, byte for byte.
  One that holds a time of day would differ between any two runs: it is named as left
  out and not hashed (checked on every run, so a stage that starts writing a clock
  reading shows up here); the work directory's path (publish's record names its files)
  is hashed as "<work>"; one the demo does not write is recorded as absent (so a stage
  that starts writing it differs too),
- final.mkv per stream, from ffmpeg's streamhash muxer: the Matroska file carries a
  random segment UID and a muxing date, so its bytes differ on every run; its packets
  do not; and a hash of each stream's tags and disposition (language, title, default).
  The same for the demo movie itself (the input: if it moved, nothing after it
  can be compared).

    bench/identical.py                                # print the hashes
    bench/identical.py --write bench/identical.json   # record them (before a refactoring)
    bench/identical.py --expect bench/identical.json  # exit 1 if any differs (after it)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The ten stages' products, in pipeline order (rules/*.smk).
BYTE_FILES = (
    "out/demo/media.json",
    "out/demo/metadata/tmdb_data.json",
    "out/demo/entities/pre_ner.json",
    "out/demo/vad/silero_segments.json",
    "out/demo/vad/pyannote_segments.json",
    "out/demo/diarization/speakers.json",
    "out/demo/asr/transcript.json",
    "out/demo/asr/transcript.corrected.json",
    "out/demo/events/sound_events.json",
    "out/demo/demo.en.srt",
    "out/demo/published.json",
    "out/demo/report.json",
)
# A time of day as the stages write one (ISO 8601: 2026-12-06T09:19:34)
CLOCK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def env() -> dict[str, str]:
    """This checkout's package first (Snakemake's script jobs import it), offline models."""
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), e.get("PYTHONPATH")]))
    e["HF_HUB_OFFLINE"] = "1"
    e["PYANNOTE_METRICS_ENABLED"] = "0"
    return e


def run(cmd: list[str], cwd: Path) -> None:
    p = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-3000:]}{p.stderr[-3000:]}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stream_hashes(mkv: Path, cwd: Path) -> dict[str, str]:
    """{"0:v": sha256, "1:a": ..., "2:s": ...}: one hash over each stream's packets."""
    p = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            "file:" + str(mkv),
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "streamhash",
            "-hash",
            "sha256",
            "-",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    out = {}
    for line in p.stdout.splitlines():  # "0,v,SHA256=..."
        index, kind, digest = line.split(",", 2)
        out[f"{index}:{kind}"] = digest.split("=", 1)[1]
    return out


def stream_facts(mkv: Path, cwd: Path) -> str:
    """sha256 of what players read beside the packets: each stream's codec, language and
    title tags and disposition (default, forced), from ffprobe."""
    p = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=index,codec_type,codec_name:stream_tags:stream_disposition",
            "-of",
            "json",
            "file:" + str(mkv),
        ],
        cwd=cwd,
        capture_output=True,
        check=True,
    )
    return hashlib.sha256(p.stdout).hexdigest()


def demo_hashes(work: Path) -> dict[str, str]:
    """Build the demo under `work` and hash its products."""
    run([sys.executable, "-m", "subsmith.demo", "in/demo.mkv"], work)
    run(
        [
            str(BIN / "snakemake"),
            "-s",
            str(ROOT / "Snakefile"),
            "--directory",
            str(work),
            "--cores",
            "2",
            "out/demo/final.mkv",
            "out/demo/report.html",
        ],
        work,
    )
    hashes = {}
    for rel in BYTE_FILES:
        path = work / rel
        if not path.exists():
            hashes[rel] = "absent"
            continue
        text = path.read_text(encoding="utf-8")
        # A product that names the work directory or a time of day differs between runs.
        if CLOCK.search(text):
            hashes[rel] = "left out: holds a time of day"
        else:
            # publish's record names the files it wrote: with the work directory's path
            # in place of the path, what is left is the same on every run.
            hashes[rel] = hashlib.sha256(text.replace(str(work), "<work>").encode()).hexdigest()
    for mkv in ("in/demo.mkv", "out/demo/final.mkv"):
        for stream, digest in stream_hashes(work / mkv, work).items():
            hashes[f"{mkv}#{stream}"] = digest
        hashes[f"{mkv}#streams"] = stream_facts(work / mkv, work)
    return hashes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", type=Path, help="record the hashes in this JSON file")
    p.add_argument("--expect", type=Path, help="compare with the hashes recorded here")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="subsmith-identical-") as tmp:
        hashes = demo_hashes(Path(tmp))
    for name, digest in hashes.items():
        print(f"{digest}  {name}")
    if a.write:
        a.write.write_text(json.dumps(hashes, indent=2) + "\n", encoding="utf-8")
    if a.expect:
        expected = json.loads(a.expect.read_text(encoding="utf-8"))
        differ = sorted(
            k for k in expected.keys() | hashes.keys() if expected.get(k) != hashes.get(k)
        )
        for k in differ:
            print(f"DIFFERS: {k}: expected {expected.get(k)}, got {hashes.get(k)}")
        if differ:
            return 1
        print(f"identical: all {len(expected)} hashes match {a.expect}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
