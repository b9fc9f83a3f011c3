"""srt_generation: readable, well-timed cues from the word timestamps, within the rules."""

from pathlib import Path

from subsmith import manifest, name_correction, srt_generation, subtitles
from subsmith.job import run_stage
from subsmith.jsonio import read_json


def body(ctx):
    rules = subtitles.SubtitleRules.from_config(ctx.params.srt_generation)
    # post_ner's corrected transcript when it ran, else asr's own.
    transcript = name_correction.transcript_for_subtitles(ctx.input.corrected, ctx.input.transcript)
    filtered = ctx.params.srt_generation["drop_hallucinations"]
    speech = read_json(ctx.input.segments)["speech"] if filtered else None
    # Who speaks when (diarization; no turns when it was skipped), joined to the words here.
    turns = read_json(ctx.input.speakers).get("turns") or []
    made = srt_generation.make_cues(
        transcript["segments"],
        speech,
        rules,
        turns=turns,
        speaker_labels=ctx.params.srt_generation["speaker_labels"],
    )
    for line in made.log:
        ctx.log.info("%s", line)
    for line in made.notes:
        ctx.note(line)
    cues = made.cues
    if not cues:
        # A film without dialogue: empty sidecars (Snakemake's outputs), no track in mux.
        for _, path in ctx.output.items():
            Path(path).write_text("", encoding="utf-8")
        ctx.note(f"{manifest.NO_SPEECH} (empty sidecar files)")
        return
    for fmt, path in ctx.output.items():
        Path(path).write_text(subtitles.WRITERS[fmt](cues), encoding="utf-8")
    report = subtitles.check_file(ctx.output.srt, rules)
    for line in report.errors + report.warnings:
        ctx.log.warning("%s", line)
    if not report.ok:
        ctx.note(f"{len(report.errors)} cues still break the rules after repair (see the log)")
    ctx.note(f"{len(cues)} cues, {report.within_cps:.0%} within {rules.max_cps:g} characters/s")


run_stage(snakemake, "srt_generation", body)
