"""Proof that a refactoring changed no output: the demo's files, hashed.

Runs the demo end to end the way `make demo` does (subsmith.demo writes in/demo.mkv,
Snakemake builds out/demo/final.mkv), in a fresh temporary work directory with this
checkout's Snakefile and package, and prints one sha256 per product:

- media.json, vad/silero_segments.json, asr/transcript.json and the SRT, byte for byte
  (none of them holds a time of day or a path of the work directory: checked below),
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
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BYTE_FILES = (
    "out/demo/media.json",
    "out/demo/vad/silero_segments.json",
    "out/demo/asr/transcript.json",
    "out/demo/demo.en.srt",
)


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
        ],
        work,
    )
    hashes = {}
    for rel in BYTE_FILES:
        path = work / rel
        if rel.endswith(".json") or rel.endswith(".srt"):
            text = path.read_text(encoding="utf-8")
            # A product that named the work directory would differ between any two runs.
            if str(work) in text:
                sys.exit(f"{rel} holds the work directory's path; hash it without")
        hashes[rel] = sha256(path)
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
