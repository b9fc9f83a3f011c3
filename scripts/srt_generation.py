"""srt_generation: readable, well-timed cues from the word timestamps, within the rules."""

from pathlib import Path

from subsmith import manifest, name_correction, speakers, subtitles
from subsmith.job import run_stage
from subsmith.jsonio import read_json
from subsmith.subtitles import hallucination, repair


def body(ctx):
    rules = subtitles.SubtitleRules.from_config(ctx.params.srt_generation)
    # post_ner's corrected transcript when it ran, else asr's own.
    transcript = name_correction.transcript_for_subtitles(ctx.input.corrected, ctx.input.transcript)
    segments = transcript["segments"]
    if ctx.params.srt_generation["drop_hallucinations"]:
        speech = read_json(ctx.input.segments)["speech"]
        segments, dropped = hallucination.filter_segments(segments, speech)
        for line in dropped:
            ctx.log.info("dropped %s", line)
        if dropped:
            ctx.note(f"{len(dropped)} segments dropped as non-speech")
    words = [{**w, "segment": s["id"]} for s in segments for w in s.get("words", [])]
    labels = ctx.params.srt_generation["speaker_labels"]
    if labels:
        # Settled first, so that a label opens only a change a dash would open.
        words = speakers.label_runs(speakers.settle_word_turns(words))
    composed = subtitles.compose(words, rules, dashes=not labels)
    for line in composed.notes:
        ctx.note(line)
    cues = composed.cues
    if not cues:
        # A film without dialogue: empty sidecars (Snakemake's outputs), no track in mux.
        for _, path in ctx.output.items():
            Path(path).write_text("", encoding="utf-8")
        ctx.note(f"{manifest.NO_SPEECH} (empty sidecar files)")
        return
    # The cues pass the checker by construction; should one not, it is repaired and
    # noted, never a failed movie (issue 28). The checker stays the oracle of the tests.
    cues, repaired = repair.repair(cues, rules)
    for line in repaired:
        ctx.log.warning("%s", line)
        ctx.note(line)
    for fmt, path in ctx.output.items():
        Path(path).write_text(subtitles.WRITERS[fmt](cues), encoding="utf-8")
    report = subtitles.check_file(ctx.output.srt, rules)
    for line in report.errors + report.warnings:
        ctx.log.warning("%s", line)
    if not report.ok:
        ctx.note(f"{len(report.errors)} cues still break the rules after repair (see the log)")
    ctx.note(f"{len(cues)} cues, {report.within_cps:.0%} within {rules.max_cps:g} characters/s")


run_stage(snakemake, "srt_generation", body)
