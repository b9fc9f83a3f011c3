"""srt_generation: readable, well-timed cues from the word timestamps, within the rules;
with sound tags on, the SDH subtitle too (subsmith/subtitles/sdh.py)."""

from pathlib import Path

from subsmith import subtitles
from subsmith.core.jsonio import read_json
from subsmith.harness import manifest
from subsmith.harness.job import run_stage
from subsmith.names import post_ner as name_correction
from subsmith.subtitles import sdh, srt_generation


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
    sidecars = {fmt: path for fmt, path in ctx.output.items() if fmt != "sdh"}
    if "sdh" in ctx.output.keys():
        write_sdh(ctx, cues, rules)
    if not cues:
        # A film without dialogue: empty sidecars (Snakemake's outputs), no track in mux.
        for path in sidecars.values():
            Path(path).write_text("", encoding="utf-8")
        ctx.note(f"{manifest.NO_SPEECH} (empty sidecar files)")
        return
    for fmt, path in sidecars.items():
        Path(path).write_text(subtitles.WRITERS[fmt](cues), encoding="utf-8")
    report = subtitles.check_file(ctx.output.srt, rules)
    for line in report.errors + report.warnings:
        ctx.log.warning("%s", line)
    if not report.ok:
        ctx.note(f"{len(report.errors)} cues still break the rules after repair (see the log)")
    ctx.note(f"{len(cues)} cues, {report.within_cps:.0%} within {rules.max_cps:g} characters/s")


def write_sdh(ctx, cues, rules):
    """The SDH subtitle: the dialogue cues plus the sound tags (sound_events skipped, for
    example when its model cannot load: the dialogue alone, said in the notes). Empty
    when there is neither dialogue nor a tag."""
    found = read_json(ctx.input.events)
    if found.get("status") != "success":
        ctx.note(f"SDH: no sound tags (sound_events {found.get('status')}): the dialogue only")
    made = sdh.make_sdh(cues, found.get("events") or [], rules)
    text = subtitles.to_srt(made.cues) if made.cues else ""
    Path(ctx.output.sdh).write_text(text, encoding="utf-8")
    problems = subtitles.check_cue_list(made.cues, rules).errors if made.cues else []
    for line in problems:
        ctx.log.warning("SDH: %s", line)
    for line in made.notes:
        ctx.note(line)


run_stage(snakemake, "srt_generation", body)
