"""subsmith/subtitles/sdh.py: the SDH style (Netflix English (USA), SDH) and where a
sound tag goes: free time, its own line in a one-line cue, or dropped and counted."""

from __future__ import annotations

import random

from conftest import CONFIG
from subsmith.subtitles import SubtitleRules, build_cues, check_cues, to_srt
from subsmith.subtitles.rules import MUSIC, SOUND, SPEECH, Cue
from subsmith.subtitles.sdh import STYLE, lyric_line, make_sdh, sound_line

RULES = SubtitleRules.from_config(CONFIG["srt_generation"])


def event(tag, start, end, text=None):
    return {"tag": tag, "text": text or f"[{tag.replace('_', ' ')}]", "start": start, "end": end}


def test_the_style_brackets_and_lower_case_and_notes_for_lyrics():
    assert "Netflix" in STYLE and "SDH" in STYLE
    assert sound_line("[Door Slams]") == "[door slams]"
    assert sound_line("phone  ringing") == "[phone ringing]"
    assert sound_line("♪ music ♪") == "[music]"  # music is described, lyrics are noted
    assert lyric_line(" la la la ") == "♪ la la la ♪"


def test_a_tag_in_free_time_is_its_own_cue_at_the_sound():
    dialogue = [Cue(1.0, 3.0, ["Hello there."], ["A"]), Cue(9.0, 11.0, ["Who was it?"], ["B"])]
    sdh = make_sdh(dialogue, [event("phone_ringing", 4.0, 6.5)], RULES)
    assert [c.lines for c in sdh.cues] == [["Hello there."], ["[phone ringing]"], ["Who was it?"]]
    tag = sdh.cues[1]
    assert (tag.start, tag.end, tag.kinds, tag.speakers) == (4.0, 6.5, [SOUND], [None])
    assert sdh.placed == {"phone_ringing": 1} and not sdh.dropped
    assert check_cues(sdh.cues, RULES) == []


def test_a_tag_waits_for_a_gap_while_the_sound_lasts_and_keeps_the_rules():
    """Music under a line: shown in the gap after it, at least min_duration, min_gap kept."""
    dialogue = [Cue(0.0, 2.0, ["Come in,", "sit down."], ["A", "A"]), Cue(4.0, 6.0, ["Thanks."])]
    sdh = make_sdh(dialogue, [event("music", 1.0, 30.0, "♪ music ♪")], RULES)
    tag = next(c for c in sdh.cues if c.kinds == [SOUND])
    assert tag.lines == ["[music]"]
    assert 2.0 + RULES.min_gap <= tag.start and tag.end <= 4.0 - RULES.min_gap
    assert check_cues(sdh.cues, RULES) == []


def test_no_free_time_puts_the_tag_above_a_one_line_cue():
    """Back-to-back dialogue: the tag becomes the first line of the one-line cue that
    starts with the sound; the dialogue line stays whole, a two-line cue is never used."""
    dialogue = [
        Cue(0.0, 2.0, ["I told you,", "never here."]),
        Cue(2.1, 4.0, ["Answer it."]),
        Cue(4.1, 6.0, ["No."]),
    ]
    sdh = make_sdh(dialogue, [event("phone_ringing", 2.0, 3.0)], RULES)
    assert [c.lines for c in sdh.cues] == [
        ["I told you,", "never here."],
        ["[phone ringing]", "Answer it."],
        ["No."],
    ]
    assert sdh.cues[1].kinds == [SOUND, SPEECH]
    assert [(c.start, c.end) for c in sdh.cues] == [(c.start, c.end) for c in dialogue]
    assert check_cues(sdh.cues, RULES) == []


def test_a_tag_that_cannot_be_placed_is_dropped_and_counted():
    dialogue = [Cue(0.0, 2.0, ["I told you,", "never here."]), Cue(2.1, 4.0, ["Go on,", "then."])]
    sdh = make_sdh(dialogue, [event("door_slam", 1.0, 1.5)], RULES)
    assert [c.lines for c in sdh.cues] == [c.lines for c in dialogue]
    assert sdh.dropped == {"door_slam": 1}
    assert any("1 tags dropped" in n and "door_slam" in n for n in sdh.notes)


def test_sung_words_are_framed_by_music_notes():
    dialogue = [Cue(1.0, 3.0, ["Happy birthday to you"]), Cue(5.0, 7.0, ["Thank you."])]
    sdh = make_sdh(dialogue, [event("singing", 0.5, 3.5)], RULES)
    assert sdh.cues[0].lines == ["♪ Happy birthday to you ♪"] and sdh.cues[0].kinds == [MUSIC]
    assert sdh.cues[1].lines == ["Thank you."] and sdh.lyrics == 1
    assert "♪ Happy birthday to you ♪" in to_srt(sdh.cues)


def test_random_dialogue_and_events_keep_every_rule_and_every_word():
    """Generated dialogue (the real cue builder) and events anywhere: the SDH cues pass the
    checker, the dialogue's cues are all there in their times with their lines (a tag line
    only ever added above), and every event is placed or counted."""
    rng = random.Random(7)
    for _ in range(300):
        words, t = [], rng.uniform(0, 2)
        for _ in range(rng.randint(1, 60)):
            d = rng.uniform(0.1, 0.6)
            words.append({"word": rng.choice(["so", "we", "go.", "now,", "there?"]), "start": t})
            words[-1]["end"] = t + d
            t += d + rng.choice([0.0, 0.05, 0.3, 1.5, 4.0])
        dialogue = build_cues(words, RULES)
        events = []
        for _ in range(rng.randint(0, 8)):
            s = rng.uniform(0, t + 3)
            tag = rng.choice(["phone_ringing", "crying", "music"])
            events.append(event(tag, s, s + rng.uniform(0.2, 12)))
        sdh = make_sdh(dialogue, events, RULES)
        assert check_cues(sdh.cues, RULES) == []
        speech = [c for c in sdh.cues if SPEECH in c.kinds]
        assert [(c.start, c.end) for c in speech] == [(c.start, c.end) for c in dialogue]
        for mine, theirs in zip(speech, dialogue, strict=True):
            assert mine.lines[-len(theirs.lines) :] == theirs.lines
        assert sum(sdh.placed.values()) + sum(sdh.dropped.values()) == len(events)
        tags = sum(c.kinds.count(SOUND) for c in sdh.cues)
        assert tags == sum(sdh.placed.values())
