"""Speakers in the transcript and the cues (subsmith/subtitles/turns.py, subtitles/dialogue.py and
the cue builder's hook), and how the two VADs combine (subsmith/speech/vad/pyannote.py). No model
is loaded here."""

from __future__ import annotations

import random

from conftest import CONFIG
from subsmith import subtitles
from subsmith.speakers import diarization
from subsmith.speech.vad import pyannote as pyannote_vad
from subsmith.subtitles import check_cue_list, dialogue
from subsmith.subtitles import turns as speakers

RULES = subtitles.SubtitleRules.from_config(CONFIG["srt_generation"])


def turn(start, end, speaker):
    return {"start": start, "end": end, "speaker": speaker}


def brute_force(start, end, turns):
    """The definition: most overlap wins (equal to the millisecond: the longer turn);
    else the nearest turn within NEAREST_S."""

    def overlap(t):
        return min(end, t["end"]) - max(start, t["start"])

    best = max(turns, key=lambda t: (round(overlap(t), 3), t["end"] - t["start"]))
    if min(end, best["end"]) - max(start, best["start"]) > 0:
        return best["speaker"]
    gaps = [(max(t["start"] - end, start - t["end"]), t["speaker"]) for t in turns]
    gap, who = min(gaps, key=lambda g: g[0])
    return who if gap <= speakers.NEAREST_S else None


def test_a_word_takes_the_turn_covering_most_of_it():
    turns = [turn(0.0, 2.0, "A"), turn(1.5, 4.0, "B"), turn(6.0, 7.0, "A")]
    find = speakers.speaker_finder(turns)
    assert find(0.2, 0.5) == "A"
    assert find(1.6, 2.4) == "B"  # 0.4 s in A, 0.8 s in B
    assert find(1.6, 1.9) == "B"  # inside both alike: the longer turn (2.5 s against 2 s)
    assert find(4.3, 4.4) == "B"  # just after B's end
    assert find(5.0, 5.2) is None  # far from every turn
    assert find(5.7, 5.9) == "A"  # just before A's second turn


def test_a_word_in_overlap_goes_to_the_voice_that_carries_on():
    """A second voice heard only in overlap (a short turn inside a long one, as pyannote's
    padded count makes) does not take the long turn's words, whichever turn comes first."""
    long, short = turn(10.0, 20.0, "A"), turn(14.0, 15.0, "B")
    for turns in ([long, short], [short, long]):
        find = speakers.speaker_finder(turns)
        assert find(14.2, 14.6) == "A"
        assert find(13.8, 14.6) == "A"  # more of it in A
        assert find(14.9, 15.0) == "A"
    assert (
        speakers.speaker_finder([turn(14.0, 15.0, "B"), turn(14.5, 14.9, "A")])(14.5, 14.9) == "B"
    )


def test_speaker_finder_agrees_with_the_definition_on_random_turns():
    rng = random.Random(7)
    for _ in range(200):
        turns = []
        for _ in range(rng.randint(1, 12)):
            a = round(rng.uniform(0, 30), 2)
            turns.append(turn(a, round(a + rng.uniform(0.1, 6), 2), rng.choice("ABC")))
        find = speakers.speaker_finder(turns)
        for _ in range(30):
            s = round(rng.uniform(0, 36), 2)
            e = round(s + rng.uniform(0.05, 0.8), 2)
            got, want = find(s, e), brute_force(s, e, turns)
            keys = [
                (round(min(e, t["end"]) - max(s, t["start"]), 3), round(t["end"] - t["start"], 9))
                for t in turns
                if min(e, t["end"]) - max(s, t["start"]) > 0
            ]
            if len(set(keys)) == len(keys):  # no tie on both overlap and length
                assert got == want, (s, e, turns)


def test_assign_speakers_marks_words_and_segments():
    transcript = {
        "language": "en",
        "segments": [
            {
                "id": 0,
                "start": 0.0,
                "end": 3.0,
                "text": "Hello there. Hi.",
                "words": [
                    {"start": 0.0, "end": 0.5, "word": " Hello"},
                    {"start": 0.5, "end": 1.5, "word": " there."},
                    {"start": 2.0, "end": 2.4, "word": " Hi."},
                ],
            }
        ],
    }
    out = speakers.assign_speakers(transcript, [turn(0.0, 1.6, "S0"), turn(1.9, 2.5, "S1")])
    seg = out["segments"][0]
    assert [w["speaker"] for w in seg["words"]] == ["S0", "S0", "S1"]
    assert seg["speaker"] == "S0"
    none = speakers.assign_speakers(transcript, [])
    assert {w["speaker"] for w in none["segments"][0]["words"]} == {None}


def words_of(lines):
    """Words timed like speech: (speaker, text) lines, 0.3 s per word, 0.4 s between lines."""
    out, t = [], 1.0
    for who, text in lines:
        for token in text.split():
            out.append({"word": token, "start": t, "end": t + 0.25, "speaker": who})
            t += 0.3
        t += 0.4
    return out


def test_quick_exchange_shares_a_cue_with_dialogue_dashes():
    words = words_of([("A", "Ready?"), ("B", "Yes."), ("A", "Then we go now."), ("B", "Fine.")])
    cues = subtitles.build_cues(words, RULES)
    shared = [c for c in cues if len(c.lines) == 2 and all(x.startswith("- ") for x in c.lines)]
    assert shared, [c.lines for c in cues]
    for c in cues:
        if any(x.startswith("- ") for x in c.lines):
            assert all(x.startswith("- ") for x in c.lines)  # every speaker's line, or none
    assert check_cue_list(cues, RULES).errors == []


def test_long_turns_get_their_own_cues_without_dashes():
    a = "We are flying to the northern islands before the storm arrives tonight."
    b = "Then we should leave right now, because the wind is getting stronger."
    cues = subtitles.build_cues(words_of([("A", a), ("B", b)]), RULES)
    assert not any(line.startswith("- ") for c in cues for line in c.lines)
    texts = [" ".join(c.lines) for c in cues]
    first_b = next(i for i, t in enumerate(texts) if "Then" in t)
    assert texts[first_b].startswith("Then")  # the new speaker opens a new cue


def test_no_speakers_leaves_cues_as_they_were():
    words = words_of([(None, "Ready?"), (None, "Yes."), (None, "Then we go now.")])
    plain = [{k: v for k, v in w.items() if k != "speaker"} for w in words]
    assert subtitles.build_cues(words, RULES) == subtitles.build_cues(plain, RULES)


def test_labels_instead_of_dashes():
    words = words_of([("SPEAKER_00", "Ready?"), ("SPEAKER_01", "Yes."), ("SPEAKER_00", "Go.")])
    cues = subtitles.build_cues(dialogue.label_runs(words), RULES, dashes=False)
    text = "\n".join(line for c in cues for line in c.lines)
    assert "- " not in text
    assert "[SPEAKER_00] Ready?" in text and "[SPEAKER_01] Yes." in text
    for c in cues:
        assert all(len(line) <= RULES.max_line_chars for line in c.lines)


def test_rttm_and_relabel():
    turns = diarization.relabel([turn(3.0, 4.0, "X"), turn(0.5, 2.0, "Y"), turn(2.5, 3.0, "Y")])
    assert [t["speaker"] for t in turns] == ["SPEAKER_00", "SPEAKER_00", "SPEAKER_01"]
    rttm = diarization.to_rttm(turns, "My Movie (1999)")
    first = rttm.splitlines()[0].split()
    assert first[:5] == ["SPEAKER", "My_Movie_(1999)", "1", "0.500", "1.500"]
    assert first[7] == "SPEAKER_00" and len(rttm.splitlines()) == 3


def test_vad_combine():
    silero = [{"start": 0.0, "end": 2.0}, {"start": 5.0, "end": 8.0}]
    pa = [{"start": 1.0, "end": 6.0}, {"start": 7.5, "end": 9.0}]
    assert pyannote_vad.combine(silero, pa, "silero") == silero
    assert pyannote_vad.combine(silero, pa, "intersection") == [
        {"start": 1.0, "end": 2.0},
        {"start": 5.0, "end": 6.0},
        {"start": 7.5, "end": 8.0},
    ]
    assert pyannote_vad.combine(silero, pa, "union") == [{"start": 0.0, "end": 9.0}]


# ------------------------------------------------- dialogue dashes (issue 28)


def dashed(cues):
    return [c.lines for c in cues if any(line.startswith("- ") for line in c.lines)]


def test_a_change_after_an_abbreviation_stays_one_speakers_line():
    """The diarization's turn edge fell after "Mr.": one sentence, one speaker, no dash."""
    words = words_of([("A", "Make it so, Mr."), ("B", "LaFord.")])
    cues = subtitles.build_cues(words, RULES)
    assert [c.lines for c in cues] == [["Make it so, Mr. LaFord."]]
    for abbreviation in ("Dr.", "St.", "Mrs.", "Ms.", "vs.", "etc."):
        words = words_of([("A", f"We met {abbreviation}"), ("B", "Hayes there.")])
        assert dashed(subtitles.build_cues(words, RULES)) == [], abbreviation


def test_a_change_inside_a_sentence_goes_to_the_sentences_speaker():
    # B's label covers the last two words of A's sentence: A says most of it.
    words = words_of([("A", "I told you we should never"), ("B", "go there."), ("B", "Why not?")])
    settled = dialogue.settle_word_turns(words)
    assert [w["speaker"] for w in settled] == ["A"] * 8 + ["B", "B"]
    cues = subtitles.build_cues(words, RULES)
    assert "- I told you we should never go there." in [x for c in cues for x in c.lines]


def test_a_change_shorter_than_the_diarization_resolves_is_no_change():
    # A 0.15 s "Yes." between A's lines (a sliver: under MIN_TURN_S) is not a new speaker...
    words = words_of([("A", "Are you coming with us?"), ("B", "Yes."), ("A", "Then hurry up.")])
    words[5]["end"] = words[5]["start"] + 0.15
    assert {w["speaker"] for w in dialogue.settle_word_turns(words)} == {"A"}
    assert dashed(subtitles.build_cues(words, RULES)) == []
    # ...the same reply timed as Whisper times a spoken "Yes." (0.34 s) is a turn.
    words[5]["end"] = words[5]["start"] + 0.34
    assert [w["speaker"] for w in dialogue.settle_word_turns(words)][5] == "B"
    assert dashed(subtitles.build_cues(words, RULES))


def test_a_pause_ends_a_sentence_for_speakers_without_punctuation():
    words = words_of([("A", "so we went home"), ("B", "and then what happened next")])
    assert words[4]["start"] - words[3]["end"] < dialogue.SENTENCE_PAUSE_S
    assert {w["speaker"] for w in dialogue.settle_word_turns(words)} == {"B"}  # B says more
    for w in words[4:]:
        w["start"] += 1.5
        w["end"] += 1.5
    assert [w["speaker"] for w in dialogue.settle_word_turns(words)] == ["A"] * 4 + ["B"] * 5


def test_speakers_switching_every_word_give_no_dash_inside_a_sentence():
    words = words_of([("AB"[k % 2], w) for k, w in enumerate("We will go now, I promise.".split())])
    cues = subtitles.build_cues(words, RULES)
    assert dashed(cues) == [] and check_cue_list(cues, RULES).errors == []


def test_labels_keep_the_decoders_space():
    words = [{"word": " Hello", "start": 0.0, "end": 0.6, "speaker": "S0"}]
    words.append({"word": "'s", "start": 0.6, "end": 0.7, "speaker": "S0"})
    labelled = dialogue.label_runs(words)
    assert labelled[0]["word"] == " [S0] Hello"
    assert subtitles.build_cues(labelled, RULES, dashes=False)[0].text == "[S0] Hello's"
