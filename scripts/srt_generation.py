"""srt_generation: readable, well-timed cues from the word timestamps, checked before release."""

from pathlib import Path

from subsmith import manifest, name_correction, speakers, subtitles
from subsmith.errors import StageError
from subsmith.job import run_stage
from subsmith.jsonio import read_json
from subsmith.subtitles import hallucination


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
        words = speakers.label_runs(words)
    cues = subtitles.build_cues(words, rules, dashes=not labels)
    if not cues:
        # A film without dialogue: empty sidecars (Snakemake's outputs), no track in mux.
        for _, path in ctx.output.items():
            Path(path).write_text("", encoding="utf-8")
        ctx.note(f"{manifest.NO_SPEECH} (empty sidecar files)")
        return
    for fmt, path in ctx.output.items():
        Path(path).write_text(subtitles.WRITERS[fmt](cues), encoding="utf-8")
    # The gate: the file as written must pass the same checker as `subsmith check-srt`.
    report = subtitles.check_file(ctx.output.srt, rules)
    for line in report.errors + report.warnings:
        ctx.log.warning("%s", line)
    if not report.ok:
        raise StageError(
            f"{ctx.output.srt}: {len(report.errors)} cues break the subtitle rules "
            f"(first: {report.errors[0]}); see the log"
        )
    ctx.note(f"{len(cues)} cues, {report.within_cps:.0%} within {rules.max_cps:g} characters/s")


run_stage(snakemake, "srt_generation", body)
