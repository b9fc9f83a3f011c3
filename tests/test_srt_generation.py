"""The srt_generation stage on the transcripts that failed movies (issue 28): it writes
cues that pass the checker and says what it repaired; it never fails over the rules."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import CONFIG
from subsmith.core.jsonio import write_json_atomic
from subsmith.harness import job
from subsmith.subtitles import Cue, SubtitleRules, check_cues, check_file, read_srt, repair

RULES = SubtitleRules.from_config(CONFIG["srt_generation"])
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "srt_generation.py"


class Outputs(dict):
    """What Snakemake's output Namedlist offers the script: items() and attributes."""

    def __getattr__(self, name: str) -> str:
        return self[name]


def run_stage_body(
    tmp_path: Path,
    segments: list[dict],
    monkeypatch,
    turns: list[dict] | None = None,
    sdh_events: str | None = None,
) -> tuple[str, list[str]]:
    """The stage's body on a transcript of `segments` and the diarization's `turns`
    (speakers.json: the stage joins them to the words itself); with `sdh_events` (a
    sound_events.json) as sound_events on runs it, writing the SDH subtitle too."""
    bodies = []
    monkeypatch.setattr(job, "run_stage", lambda smk, stage, body: bodies.append(body))
    runpy.run_path(str(SCRIPT), init_globals={"snakemake": None})
    transcript = tmp_path / "transcript.json"
    write_json_atomic(transcript, {"language": "en", "segments": segments})
    vad = tmp_path / "silero_segments.json"
    write_json_atomic(vad, {"speech": [{"start": 0.0, "end": 60.0}]})
    who = tmp_path / "speakers.json"
    write_json_atomic(who, {"status": "success" if turns else "skipped", "turns": turns or []})
    notes: list[str] = []
    ctx = SimpleNamespace(
        params=SimpleNamespace(srt_generation=CONFIG["srt_generation"]),
        input=SimpleNamespace(
            transcript=str(transcript),
            corrected=None,
            segments=str(vad),
            speakers=str(who),
            events=sdh_events,
        ),
        output=Outputs(
            srt=str(tmp_path / "movie.en.srt"),
            **({"sdh": str(tmp_path / "movie.en.sdh.srt")} if sdh_events else {}),
        ),
        log=logging.getLogger("test"),
        note=notes.append,
    )
    (body,) = bodies
    body(ctx)
    return ctx.output.srt, notes


def turn(start: float, end: float, speaker: str) -> dict:
    return {"start": start, "end": end, "speaker": speaker}


def segment(i: int, words: list[tuple[str, float, float]]) -> dict:
    return {
        "id": i,
        "start": words[0][1],
        "end": words[-1][2],
        "text": "".join(w for w, _, _ in words),
        "no_speech_prob": 0.05,
        "avg_logprob": -0.2,
        "words": [{"word": w, "start": a, "end": b, "probability": 0.9} for w, a, b in words],
    }


def test_squeezed_words_and_a_loop_remnant_make_a_conforming_file(tmp_path, monkeypatch):
    """The two reports of issue 28: a cue of 0.297 s at 0 (what the repetition filter left
    of a looping segment) and words the aligner squeezed to zero length at 10.77 s in fast
    overlapping talk. The stage used to raise "N cues break the subtitle rules"."""
    loop = segment(0, [(" So.", 0.0, 0.297)])
    talk = [(" Wait,", 9.2, 9.6), (" you", 9.6, 9.8), (" said", 9.8, 10.1), (" what?", 10.1, 10.77)]
    squeezed = [(w, 10.77, 10.77) for w in (" I", " never", " said", " that,", " not", " once.")]
    squeezed += [(" Liar!", 10.77, 10.771), (" Stop", 10.771, 10.9), (" it,", 10.9, 11.0)]
    squeezed += [(" both", 11.0, 11.2), (" of", 11.2, 11.3), (" you.", 11.3, 11.6)]
    srt, notes = run_stage_body(
        tmp_path, [loop, segment(1, talk), segment(2, squeezed)], monkeypatch
    )
    report = check_file(srt, RULES)
    assert report.errors == [], report.errors
    text = " ".join(c.text.replace("\n", " ") for c in read_srt(srt))
    assert text.replace("- ", "") == (
        "So. Wait, you said what? I never said that, not once. Liar! Stop it, both of you."
    )
    assert any("cues," in n for n in notes), notes


def test_laughter_is_no_cue_and_the_manifest_note_counts_it(tmp_path, monkeypatch):
    """Laughter the decoder wrote as words goes (hallucination.laughter_only, issue 28),
    and the stage's note says how many segments went and how many were laughter."""
    laugh = segment(0, [(" Ha", 1.0, 1.3), (" ha", 1.3, 1.6), (" ha!", 1.6, 1.9)])
    line = segment(1, [(" Very", 3.0, 3.3), (" funny.", 3.3, 3.8)])
    srt, notes = run_stage_body(tmp_path, [laugh, line], monkeypatch)
    assert [c.text for c in read_srt(srt)] == ["Very funny."]
    assert "1 segments dropped as non-speech (1 laughter only, for the SDH track)" in notes


def test_the_stream_the_old_builder_failed_on(tmp_path, monkeypatch):
    """Found by searching the old builder (b49bf1b) with random squeezed streams: it wrote
    "Liar." | "Both" | "- of / - you." and failed "cue 2 (00:00:05,084): duration 0.001 s
    below minimum 0.833 s". Now "of" (A inside B's sentence) is no change: one cue."""
    words = [(" Liar.", 5.0, 5.0), (" Both", 5.001, 5.001), (" of", 5.002, 5.002)]
    seg = segment(0, [*words, (" you.", 5.003, 5.257)])
    # Turns that give the words B, B, A, B (speakers.speaker_finder: the nearest turn).
    turns = [turn(4.9, 5.0005, "B"), turn(5.0015, 5.0025, "A"), turn(5.0025, 5.3, "B")]
    srt, notes = run_stage_body(tmp_path, [seg], monkeypatch, turns)
    assert check_file(srt, RULES).errors == []
    assert [c.lines for c in read_srt(srt)] == [["Liar. Both of you."]]


def test_repair_fixes_cues_from_elsewhere_and_says_so():
    """The safety net behind compose: a cue list that breaks every hard rule comes back
    conforming, with every line of text, and one note naming the first breach."""
    broken = [
        Cue(10.770, 10.771, ["A squeezed line"]),
        Cue(10.5, 10.6, ["x" * 60]),
        Cue(11.0, 30.0, ["one", "two", "three"]),
        Cue(0.0, 0.297, ["So."]),
    ]
    fixed, notes = repair.repair(broken, RULES)
    assert check_cues(fixed, RULES) == []
    shown = "".join("".join(c.lines) for c in fixed).replace(" ", "")
    assert sorted(shown) == sorted("Asqueezedline" + "x" * 60 + "onetwothree" + "So.")
    assert len(notes) == 1 and "repaired" in notes[0]
    ok = [Cue(1.0, 2.0, ["Fine."])]
    assert repair.repair(ok, RULES) == (ok, [])


@pytest.mark.parametrize("labels", [False, True])
def test_the_stage_settles_speakers_before_labels(tmp_path, monkeypatch, labels):
    """ "Make it so, Mr." | "LaFord." across a diarization turn edge: one line, one speaker,
    with dashes or with labels."""
    words = [(" Make", 1.0, 1.3), (" it", 1.3, 1.5), (" so,", 1.5, 1.9), (" Mr.", 1.9, 2.2)]
    words += [(" LaFord.", 2.2, 2.8)]
    seg = segment(0, words)
    turns = [turn(1.0, 2.2, "SPEAKER_00"), turn(2.2, 2.8, "SPEAKER_01")]
    cfg = {**CONFIG["srt_generation"], "speaker_labels": labels}
    monkeypatch.setitem(CONFIG, "srt_generation", cfg)
    srt, _ = run_stage_body(tmp_path, [seg], monkeypatch, turns)
    (cue,) = read_srt(srt)
    assert cue.lines == [("[SPEAKER_00] " if labels else "") + "Make it so, Mr. LaFord."]


def test_the_stage_joins_the_speakers_itself(tmp_path, monkeypatch):
    """srt_generation reads speakers.json beside the transcript (asr's transcript has no
    speakers): a quick exchange shares a cue with a dash per speaker's line, and the
    cues know each line's speaker."""
    from subsmith.subtitles import srt_generation

    words = [(" Are", 1.0, 1.2), (" you", 1.2, 1.4), (" ready?", 1.4, 1.8)]
    words += [(" Yes,", 2.0, 2.2), (" I", 2.2, 2.3), (" am.", 2.3, 2.6)]
    turns = [turn(0.9, 1.9, "S0"), turn(1.95, 2.7, "S1")]
    srt, _ = run_stage_body(tmp_path, [segment(0, words)], monkeypatch, turns)
    assert [c.lines for c in read_srt(srt)] == [["- Are you ready?", "- Yes, I am."]]
    made = srt_generation.make_cues([segment(0, words)], None, RULES, turns=turns)
    assert [c.speakers for c in made.cues] == [["S0", "S1"]]
    alone, _ = run_stage_body(tmp_path, [segment(0, words)], monkeypatch)
    assert [c.lines for c in read_srt(alone)] == [["Are you ready? Yes, I am."]]


def test_the_sdh_output_leaves_the_normal_subtitle_byte_for_byte(tmp_path, monkeypatch):
    """sound_events on: the stage writes the SDH subtitle beside the normal one, which is
    the same bytes as with the stage off; a ring in free time is a cue of its own there."""
    words = [(" Are", 1.0, 1.2), (" you", 1.2, 1.4), (" ready?", 1.4, 1.8)]
    words += [(" Yes,", 6.0, 6.2), (" I", 6.2, 6.3), (" am.", 6.3, 6.6)]
    off, _ = run_stage_body(tmp_path / "off", [segment(0, words)], monkeypatch)
    ring = {"tag": "phone_ringing", "text": "[phone ringing]", "start": 2.6, "end": 4.4}
    events = tmp_path / "on" / "sound_events.json"
    write_json_atomic(events, {"status": "success", "events": [ring]})
    on, notes = run_stage_body(
        tmp_path / "on", [segment(0, words)], monkeypatch, sdh_events=str(events)
    )
    assert Path(on).read_bytes() == Path(off).read_bytes()
    sdh = read_srt(tmp_path / "on" / "movie.en.sdh.srt")
    assert [c.lines for c in sdh] == [["Are you ready?"], ["[phone ringing]"], ["Yes, I am."]]
    assert (sdh[1].start, sdh[1].end) == (2.6, 4.4)
    assert "SDH: 1 sound tags: 1 phone_ringing" in notes
