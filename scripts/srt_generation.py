"""srt_generation: readable, well-timed cues from the word timestamps."""

from pathlib import Path

from subsmith import subtitles
from subsmith.errors import StageError
from subsmith.job import run_stage
from subsmith.jsonio import read_json


def body(ctx):
    transcript = read_json(ctx.input.transcript)
    rules = subtitles.SubtitleRules.from_config(ctx.params.rules)
    words = [{**w, "segment": s["id"]} for s in transcript["segments"] for w in s.get("words", [])]
    cues = subtitles.build_cues(words, rules)
    if not cues:
        raise StageError(f"{ctx.input.transcript}: no speech was transcribed: no cue to write")
    problems = subtitles.check_cues(cues, rules)
    for line in problems:
        ctx.log.warning("%s", line)
    Path(ctx.output.srt).write_text(subtitles.to_srt(cues), encoding="utf-8")
    ctx.note(f"{len(cues)} cues" + (f", {len(problems)} rule warnings" if problems else ""))


run_stage(snakemake, "srt_generation", body)
