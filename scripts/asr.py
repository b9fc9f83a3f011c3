"""asr: faster-whisper on the speech regions, with word timestamps, in the words' language."""

from subsmith.core.jsonio import read_json, write_json_atomic
from subsmith.harness.job import run_stage
from subsmith.media.audio import WavSlices
from subsmith.names import check as name_check
from subsmith.names import pre_ner as names
from subsmith.speech import asr, spoken
from subsmith.speech.vad import pyannote as pyannote_vad


def body(ctx):
    opts = asr.AsrOptions.from_config(ctx.params.asr)
    regions = read_json(ctx.input.segments)["speech"]
    if ctx.params.combine != "silero":
        other = read_json(ctx.input.pyannote_segments)
        if other.get("status") == "skipped":
            ctx.note(f"pyannote_vad skipped: Silero's regions alone, not {ctx.params.combine}")
        else:
            regions = pyannote_vad.combine(regions, other["speech"], ctx.params.combine)
    loaded = {}

    def load(name):
        if name not in loaded:
            loaded[name] = asr.load_model(
                name, opts.device, opts.compute_type, ctx.threads, batch_size=opts.batch_size
            )
            ctx.log.info("model: %s", loaded[name][1])
        return loaded[name][0]

    # The words' language (detected with language: auto) and the model that may write it.
    language, detection, name = spoken.settle(
        opts.model, ctx.params.language, regions, WavSlices(ctx.input.wav), load
    )
    if detection:
        ctx.note(
            f"language {language} (p={detection['probability']}, detected over "
            f"{len(detection['windows'])} speech windows)"
        )
    model, about = load(name), loaded[name][1]
    # The cast's names before every window (pre_ner; none when it was skipped).
    entities = read_json(ctx.input.entities)
    bias, bias_note = names.asr_bias(entities, ctx.params.bias)
    # A path, not samples: only the speech regions of the WAV are read.
    result = asr.transcribe(
        model,
        ctx.input.wav,
        regions,
        opts,
        language=language,
        progress=ctx.progress,
        hotwords=bias,
    )
    ctx.log.info("coverage check: %s", result["coverage"])
    if bias:  # the names the prompt wrote but nobody said go (subsmith.names.check)
        result, checked = name_check.check(
            model,
            ctx.input.wav,
            regions,
            result,
            entities,
            opts,
            language=language,
            min_heard=ctx.params.heard,
        )
        ctx.log.info("name check: %s", checked)
        bias_note += "; " + name_check.summary(checked)
    result.update(about, batch_size=opts.batch_size, language_detection=detection)
    write_json_atomic(ctx.output.transcript, result)
    words = sum(len(s["words"]) for s in result["segments"])
    if not regions:
        ctx.note(f"{about['model']}: no speech found by the VAD, nothing decoded")
        return
    again = result["coverage"]
    ctx.note(
        f"{about['model']}, {result['language']}: {len(result['segments'])} segments, {words} words"
        + (
            f"; {again['redecoded_seconds']:.1f} s of speech without words decoded again"
            if again["redecoded_spans"]
            else ""
        )
        + (
            f"; {again['uncovered_seconds']:.1f} s of speech still without words"
            if again["uncovered_seconds"]
            else ""
        )
    )
    ctx.note(bias_note)


run_stage(snakemake, "asr", body)
