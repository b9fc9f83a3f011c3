"""No cue where nobody speaks: VAD gating and the hallucination filter, with the real models."""

import random
from dataclasses import replace

import numpy as np
import pytest

from conftest import CONFIG
from subsmith import demo, subtitles
from subsmith.speech import asr
from subsmith.speech.vad import silero
from subsmith.subtitles import hallucination

VAD = silero.VadOptions.from_config(CONFIG["silero_vad"])
RULES = subtitles.SubtitleRules.from_config(CONFIG["srt_generation"])
# One stream (batch_size 0) unless a test asks for batches.
ONE_STREAM = replace(asr.AsrOptions.from_config(CONFIG["asr"]), batch_size=0)


def seg(i, start, end, text, words=None, **kw):
    words = words or [
        {"start": start + k * 0.3, "end": start + k * 0.3 + 0.25, "word": " " + w}
        for k, w in enumerate(text.split())
    ]
    return {
        "id": i,
        "start": start,
        "end": end,
        "text": text,
        "words": words,
        "no_speech_prob": kw.get("nsp", 0.1),
        "avg_logprob": kw.get("lp", -0.3),
    }


def test_words_outside_speech_are_dropped():
    segments = [seg(0, 1.0, 2.0, "Hello there"), seg(1, 20.0, 21.0, "Ghost words")]
    kept, dropped = hallucination.filter_segments(segments, [{"start": 0.8, "end": 2.5}])
    assert [s["text"] for s in kept] == ["Hello there"]
    assert "outside speech" in dropped[0]


def test_sound_tags_repeats_and_stock_phrases():
    regions = [{"start": 0.0, "end": 100.0}]
    segments = [
        seg(0, 1, 2, "[Music]"),
        seg(1, 3, 4, "♪ ♪"),
        seg(2, 5, 6, "We go now."),
        seg(3, 7, 8, "We go now."),
        seg(4, 9, 10, "We go now."),
        seg(5, 11, 12, "Thank you for watching!", nsp=0.6),
        seg(6, 13, 14, "Thank you for coming, Doctor."),
        seg(7, 15, 16, "Thank you for watching.", lp=-0.2, nsp=0.05),
    ]
    kept, dropped = hallucination.filter_segments(segments, regions)
    assert [s["id"] for s in kept] == [2, 3, 6, 7]
    assert len(dropped) == 4


def test_an_outro_split_across_two_segments_is_dropped_whole():
    """Seen on a CI machine: tiny.en over music, cut in two; neither half alone is a
    complete stock phrase at the start of its segment."""
    regions = [{"start": 0.0, "end": 30.0}]
    segments = [
        seg(0, 25.6, 26.9, "I'm gonna see you guys", nsp=0.45),
        seg(1, 27.0, 28.4, "in the next video. Bye. Bye.", nsp=0.45),
        seg(2, 29.0, 29.8, "See you in the morning, guys.", nsp=0.45),
    ]
    kept, dropped = hallucination.filter_segments(segments, regions)
    assert [s["id"] for s in kept] == [2]
    assert all("stock phrase" in d for d in dropped)


def test_a_window_the_model_calls_silent_keeps_only_confident_lines():
    """Whisper's own check drops a window only if no_speech_prob > 0.6 and avg_logprob
    < -1; text invented at -0.6 passes it. Ours also drops unsure words there."""
    regions = [{"start": 0.0, "end": 100.0}]
    segments = [
        seg(0, 1, 2, "Hi guys, welcome back.", nsp=0.92, lp=-0.64),
        seg(
            1,
            3,
            4,
            "You",
            nsp=0.91,
            lp=-0.4,
            words=[{"start": 3, "end": 3.2, "word": " You", "probability": 0.02}],
        ),
        seg(2, 5, 6, "Open the gate!", nsp=0.7, lp=-0.2),
        seg(3, 7, 8, "Let's go.", nsp=0.5, lp=-0.9),
    ]
    kept, dropped = hallucination.filter_segments(segments, regions)
    assert [s["id"] for s in kept] == [2, 3]
    assert all("no speech" in d for d in dropped)


RATE = demo.RATE


def _beat(
    seconds: float,
    chords: list,
    beats_per_s: float,
    hat_amp: float,
    hiss: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Plucked chords, one per beat in turn, with a hi-hat and hiss drawn from rng."""
    t = np.arange(int(seconds * RATE)) / RATE
    out = np.zeros_like(t)
    for k in range(int(seconds * beats_per_s)):
        a, b = int(k * RATE / beats_per_s), int((k + 1) * RATE / beats_per_s)
        env = np.exp(-3 * beats_per_s * (t[a:b] - a / RATE))
        for f in chords[k % len(chords)]:
            out[a:b] += 0.15 * env * np.sin(2 * np.pi * f * t[a:b])
    hat = rng.normal(0, hat_amp, len(t)) * (np.mod(t, 0.5 / beats_per_s) < 0.03)
    return (out + hat + rng.normal(0, hiss, len(t))).astype(np.float32)


def tune(seconds: float, seed: int) -> np.ndarray:
    """A different piece per seed: chords on random roots, tempo, hi-hat and hiss."""
    rng = np.random.default_rng(1000 + seed)
    beats_per_s = float(rng.choice([0.5, 1, 2, 4]))
    base = float(rng.uniform(110, 440))
    hat_amp = float(rng.choice([0, 0.05, 0.2]))
    hiss = float(rng.choice([0, 0.01, 0.05]))
    rng = np.random.default_rng(seed)
    roots = base * 2 ** (rng.integers(-5, 6, size=8) / 12)
    chords = [root * np.array([1, 1.26, 1.5]) for root in roots]
    return _beat(seconds, chords, beats_per_s, hat_amp, hiss, rng)


def music(seconds: float) -> np.ndarray:
    """Chords with a beat and a hi-hat: no voice in it."""
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6)]
    return _beat(seconds, chords, 1.0, 0.05, 0.0, np.random.default_rng(0))


def cues_for(audio, regions, model, **asr_options):
    """The pipeline's path from audio to cues: ASR on regions, filter, segmentation."""
    if not regions:
        return []
    result = asr.transcribe(
        model, audio, regions, replace(ONE_STREAM, **asr_options), language="en"
    )
    kept, _ = hallucination.filter_segments(result["segments"], regions)
    words = [{**w, "segment": s["id"]} for s in kept for w in s["words"]]
    return subtitles.build_cues(words, RULES)


@pytest.fixture(scope="module")
def model():
    return asr.load_model("tiny.en", "cpu", "int8", threads=2)[0]


def test_thirty_seconds_of_silence_gives_no_cue(model):
    silence = np.zeros(30 * RATE, np.float32)
    assert cues_for(silence, silero.detect_speech(silence, VAD), model) == []


def test_music_only_gives_no_cue(model):
    clip = music(30)
    assert cues_for(clip, silero.detect_speech(clip, VAD), model) == []


# One stream (WhisperModel.transcribe) and the shipped default, batched decoding
# (BatchedInferencePipeline), which applies no silence check of its own: it gives "you
# you" over every piece below, where the one-stream decoder gives nothing.
MODES = pytest.mark.parametrize("batch_size", [0, 4], ids=["one-stream", "batched"])


@MODES
def test_music_gives_no_cue_even_if_the_vad_let_it_through(model, batch_size):
    """Whisper tiny.en stays silent on this clip on some CPUs and invents an outro on
    others (the test below); the filter removes what it invents. Either way: no cue."""
    clip = music(30)
    whole = [{"start": 0.0, "end": 30.0}]
    cues = cues_for(clip, whole, model, batch_size=batch_size)
    assert cues == [], [c.text for c in cues]


@MODES
def test_text_invented_over_music_is_dropped_on_any_cpu(model, batch_size):
    """Whether tiny.en stays silent over music depends on the CPU: its own silence check
    (no_speech_prob > 0.6 and avg_logprob < -1) sits on a knife's edge there, and a CI
    machine got "I'm gonna see you guys | in the next video. Bye. Bye." where this one
    got nothing. With that check off, the model invents text over most of these pieces
    on any machine; the filter must drop all of it."""
    invented = 0
    for seed in range(6):
        clip = tune(30, seed)
        whole = [{"start": 0.0, "end": 30.0}]
        raw = asr.transcribe(
            model,
            clip,
            whole,
            replace(ONE_STREAM, batch_size=batch_size),
            language="en",
            no_speech_threshold=None,
        )
        invented += len(raw["segments"])
        kept, _ = hallucination.filter_segments(raw["segments"], whole)
        assert kept == [], (seed, [s["text"] for s in kept])
    assert invented >= 3, "the model no longer invents text over music: the test proves nothing"


@MODES
def test_dialogue_under_music_is_all_kept(model, batch_size):
    """The other side of the gates: real lines over a loud music bed, with the model's
    silence check off too, lose no segment to the filter. The demo's lines in one voice
    (en-us): under a score twice as loud as the speech, the batched decoder hears nothing
    of the first ten seconds of the demo's two-voice dialogue (asr's coverage check
    reports them uncovered), which is ASR's weakness, not this filter's."""
    speech, refs = demo.dialogue([("en-us", text) for _, text in demo.DIALOGUE])
    clip = speech + 2 * music(len(speech) / RATE + 1)[: len(speech)]
    whole = [{"start": 0.0, "end": len(clip) / RATE}]
    raw = asr.transcribe(
        model,
        clip,
        whole,
        replace(ONE_STREAM, batch_size=batch_size),
        language="en",
        no_speech_threshold=None,
    )
    kept, dropped = hallucination.filter_segments(raw["segments"], whole)
    assert dropped == []
    heard = {w["word"].strip(" ,.?!").lower() for s in kept for w in s["words"]}
    said = {w.strip(",.?!").lower() for r in refs for w in r["text"].split()}
    assert len(heard & said) >= 0.8 * len(said), sorted(said - heard)


def test_speech_spans_agree_with_a_scan_of_every_region():
    """filter_segments bisects merged, padded spans; a word is in speech exactly when its
    middle is within pad of some region, overlapping and unsorted regions included."""
    rng = random.Random(5)
    for _ in range(2000):
        regions = []
        for _ in range(rng.randint(0, 8)):
            a = rng.uniform(0, 50)
            regions.append({"start": a, "end": a + rng.uniform(0, 5)})
        pad = rng.choice([0.0, 0.3, 1.0])
        spans = hallucination.speech_spans(regions, pad)
        for _ in range(10):
            t0 = rng.uniform(-2, 58)
            t1 = t0 + rng.uniform(0, 2)
            if regions and rng.random() < 0.2:  # exactly on a padded edge
                r = rng.choice(regions)
                t0 = t1 = rng.choice([r["start"] - pad, r["end"] + pad])
            mid = (t0 + t1) / 2
            scan = any(r["start"] - pad <= mid <= r["end"] + pad for r in regions)
            assert hallucination.in_speech(t0, t1, spans) == scan


def timed(spec):
    """Words from 'word start end' triples."""
    return [{"word": " " + w, "start": s, "end": e} for w, s, e in spec]


# The batched decoder under a prompt, on the names bench: the sentence was read twice
# (two voices) and written three times; the aligner squeezed the extra copy into
# zero-length words at 49.86 s.
SQUEEZED = timed(
    [("Hester", 43.26, 43.4), ("Prynne", 43.4, 43.8), ("stood", 43.8, 44.0)]
    + [("alone", 44.0, 44.32), ("on", 44.32, 44.6), ("the", 44.6, 44.72)]
    + [("scaffold", 44.72, 45.16), ("in", 45.16, 45.42), ("the", 45.42, 45.7)]
    + [("market", 45.7, 45.92), ("square.", 45.92, 46.7)]
    + [("Hester", 47.7, 47.88), ("Prynne", 47.88, 48.26), ("stood", 48.26, 48.48)]
    + [("alone", 48.48, 48.86), ("on", 48.86, 49.18), ("the", 49.18, 49.18)]
    + [("scaffold", 49.18, 49.68), ("in", 49.68, 49.86)]
    + [(w, 49.86, 49.86) for w in "the market square. Hester Prynne stood alone on".split()]
    + [("the", 49.86, 49.86), ("scaffold", 49.86, 49.86), ("in", 49.86, 49.94)]
    + [("the", 49.94, 50.18), ("market", 50.18, 50.48), ("square.", 50.48, 51.16)]
)


def test_a_phrase_written_once_more_than_it_was_heard_goes_once():
    words, gone = hallucination.drop_unheard_repeats(SQUEEZED)
    text = " ".join(w["word"].strip() for w in words)
    sentence = "Hester Prynne stood alone on the scaffold in the market square."
    assert text == f"{sentence} {sentence}"
    assert len(gone) == 1 and all(w["end"] > w["start"] for w in words[-4:])
    # through the filter: one segment, its repeat noted
    kept, dropped = hallucination.filter_segments(
        [seg(0, 43.26, 51.16, "Hester Prynne stood alone", words=SQUEEZED)],
        [{"start": 43.0, "end": 52.0}],
    )
    assert len(kept[0]["words"]) == 22 and "repeated without audio" in dropped[0]


def test_repeated_speech_that_takes_time_is_kept():
    said = timed(
        [(w, 1.0 + 0.3 * k, 1.25 + 0.3 * k) for k, w in enumerate("no no no no no no".split())]
    )
    assert hallucination.drop_unheard_repeats(said) == (said, [])
    # one unheard word in a heard repeat is the aligner's rounding, not an extra copy
    phrase = "we go now we go now".split()
    words = timed([(w, 1.0 + 0.3 * k, 1.25 + 0.3 * k) for k, w in enumerate(phrase)])
    words[4] = {**words[4], "end": words[4]["start"]}
    assert hallucination.drop_unheard_repeats(words)[0] == words
    # and zero-length words that repeat nothing stay
    lone = timed([(w, 2.0, 2.0) for w in "three short words".split()])
    assert hallucination.drop_unheard_repeats(lone)[0] == lone


# ------------------------------------------- a lone word over music (issue 28)


def lone(start, end, word=" Hmm.", p=0.3, nsp=0.5, lp=-0.9):
    return {
        "id": 0,
        "start": start,
        "end": end,
        "text": word,
        "words": [{"start": start, "end": end, "word": word, "probability": p}],
        "no_speech_prob": nsp,
        "avg_logprob": lp,
    }


def test_a_lone_doubtful_word_silero_did_not_hear_is_dropped():
    """ "Hmm." beside a short false VAD region over music: inside the padded in-speech gate
    (its middle is 0.1 s past the region), but Silero covers a sixth of it, nothing else is
    said within 2 s, and the decoder doubted it. Each condition alone keeps it."""
    regions = [{"start": 3.0, "end": 3.6}]
    kept, dropped = hallucination.filter_segments([lone(3.55, 3.85)], regions)
    assert kept == [] and "lone word" in dropped[0]
    # A confident decode is kept: the decoder heard a word.
    assert hallucination.filter_segments([lone(3.55, 3.85, p=0.9, nsp=0.1, lp=-0.2)], regions)[0]
    # Silero heard it (its region covers the word).
    assert hallucination.filter_segments([lone(3.2, 3.5)], regions)[0]
    # Not alone: a line 1.5 s later.
    after = {**seg(1, 5.35, 6.5, "Where are you going?"), "id": 1}
    kept, _ = hallucination.filter_segments(
        [lone(3.55, 3.85), after], regions + [{"start": 5.2, "end": 6.6}]
    )
    assert len(kept) == 2
    # Two words are a line, not a lone word.
    two = seg(0, 3.3, 3.9, "Oh no", words=None, nsp=0.5, lp=-0.9)
    assert hallucination.filter_segments([two], regions)[0]


def test_short_replies_said_alone_are_kept(model):
    """Real speech, each reply alone between 4 s silences: Silero hears every one, so even
    with the decoder's doubt at its worst short of its own silence gate they stay; and what
    tiny.en decodes of them passes the filter whole."""
    pieces, spans, t = [np.zeros(RATE, np.float32)], [], 1.0
    for reply in ("Yes.", "No!", "Hmm?"):
        voice = demo.trim(demo.speak(reply))
        spans.append((reply, t, t + len(voice) / RATE))
        pieces += [voice, np.zeros(4 * RATE, np.float32)]
        t += len(voice) / RATE + 4
    audio = np.concatenate(pieces)
    regions = silero.detect_speech(audio, VAD)
    doubted = [lone(a, b, " " + reply, p=0.2, nsp=0.55, lp=-0.95) for reply, a, b in spans]
    kept, dropped = hallucination.filter_segments(doubted, regions)
    assert dropped == [] and len(kept) == 3
    raw = asr.transcribe(model, audio, regions, ONE_STREAM, language="en")
    kept, dropped = hallucination.filter_segments(raw["segments"], regions)
    assert not [d for d in dropped if "lone word" in d], dropped
    assert len([w for s in kept for w in s["words"]]) >= 2, raw["segments"]


# ------------------------------------ laughter and far voices in effects (issue 28)


def test_laughter_written_as_words_is_left_to_the_sdh_track():
    """Seen on real laughter (sound-events, bench/subtitles_real.md): tiny.en writes "Ha ha
    ha ha", base "hahahahahaha". Every word laughter: dropped, however confident; laughter
    inside a line, or a word that only starts like it, stays dialogue."""
    regions = [{"start": 0.0, "end": 10.0, "peak": 0.99}]
    for text in ("Ha ha ha ha", "hahahahahaha", "Heh.", "Ha ha ha ha ha ha ha!", "Hehe"):
        kept, dropped = hallucination.filter_segments([seg(0, 1.0, 2.0, text)], regions)
        assert kept == [] and "laughter only" in dropped[0], text
    for text in ("Ha ha, very funny.", "He did.", "Hah, I knew it.", "Hi.", "He.", "Hello"):
        kept, _ = hallucination.filter_segments([seg(0, 1.0, 2.0, text)], regions)
        assert len(kept) == 1, text


def doubted(text, start, p, nsp, lp):
    s = seg(0, start, start + 1.0, text, nsp=nsp, lp=lp)
    for w in s["words"]:
        w["probability"] = p
    return s


def test_words_the_decoder_doubts_and_silero_barely_heard_are_dropped():
    """The real cases (bench/subtitles_real.md): a far voice in street noise read as "money
    in lockdown." (word probability 0.37, no_speech_prob 0.43, avg_logprob -1.11, Silero's
    peak 0.59), laughter read as "So." (0.01, 0.60, -2.03, peak 0.94); and the real reply
    on ami-train "I am." (0.34, 0.52, -0.83, peak 0.98), which stays. Each condition alone
    keeps a line."""
    quiet = [{"start": 0.0, "end": 5.0, "peak": 0.59}]
    loud = [{"start": 0.0, "end": 5.0, "peak": 0.98}]
    street = doubted("money in lockdown.", 1.0, p=0.37, nsp=0.43, lp=-1.11)
    kept, dropped = hallucination.filter_segments([street], quiet)
    assert kept == [] and "barely heard" in dropped[0]
    # tiny.en's words for it pass Whisper's logprob check: Silero's peak alone drops them
    passed = doubted("my money is pretty dumb.", 1.0, p=0.45, nsp=0.45, lp=-0.91)
    assert hallucination.filter_segments([passed], quiet)[0] == []
    assert len(hallucination.filter_segments([passed], loud)[0]) == 1
    # the decode fails Whisper's logprob check: dropped though Silero was sure
    laugh = doubted("So.", 1.0, p=0.01, nsp=0.598, lp=-2.03)
    assert hallucination.filter_segments([laugh], loud)[0] == []
    reply = doubted("I am.", 1.0, p=0.34, nsp=0.52, lp=-0.83)
    assert len(hallucination.filter_segments([reply], loud)[0]) == 1
    # Silero barely heard it, but the decoder was sure of the words, or of speech
    sure = doubted("money in lockdown.", 1.0, p=0.8, nsp=0.43, lp=-1.11)
    assert len(hallucination.filter_segments([sure], quiet)[0]) == 1
    speech = doubted("money in lockdown.", 1.0, p=0.37, nsp=0.2, lp=-1.11)
    assert len(hallucination.filter_segments([speech], quiet)[0]) == 1
    # A VAD file from before the peak: only the logprob arm decides.
    bare = [{"start": 0.0, "end": 5.0}]
    assert len(hallucination.filter_segments([reply], bare)[0]) == 1
    assert hallucination.filter_segments([laugh], bare)[0] == []


def test_silero_peak_weighs_the_regions_by_the_words_they_cover():
    regions = [{"start": 0.0, "end": 1.0, "peak": 0.6}, {"start": 2.0, "end": 3.0, "peak": 0.9}]
    words = [{"start": 0.0, "end": 0.75}, {"start": 2.0, "end": 2.25}]
    assert hallucination.silero_peak(words, regions) == pytest.approx(0.675)
    assert hallucination.silero_peak([{"start": 5.0, "end": 5.5}], regions) == 1.0
