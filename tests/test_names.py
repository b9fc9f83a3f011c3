"""pre_ner (entities and the forms people say), asr biasing of every window, and
post_ner (respelling only with evidence; never a common word into a name)."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest

from conftest import CONFIG
from subsmith import demo
from subsmith.core.errors import SkipStage
from subsmith.names import check as name_check
from subsmith.names import post_ner as name_correction
from subsmith.names import pre_ner as names

POST = name_correction.PostNerOptions.from_config(CONFIG["post_ner"])
HEARD = CONFIG["pre_ner"]["heard"]

TMDB = {
    "status": "success",
    "source": "nfo",
    "title": "Sense and Sensibility",
    "year": 1995,
    "overview": (
        "Rich Mr. Dashwood dies, and Elinor and Marianne Dashwood move to Devon, "
        "far from London, where Colonel Brandon falls for Marianne."
    ),
    "cast": [
        {"name": "Emma Thompson", "character": "Elinor Dashwood", "order": 0},
        {"name": "Alan Rickman", "character": "Colonel Brandon", "order": 2},
        {"name": "Kate Winslet", "character": "Marianne Dashwood", "order": 1},
        {"name": "Ian McKellen", "character": "Frederick Leighton (voice)", "order": 5},
        {"name": "Tom Wilkinson", "character": "Birket Foster", "order": 6},
        {"name": "Bill Nighy", "character": "Himself", "order": 7},
    ],
}


@pytest.fixture(scope="module")
def nlp():
    return names.load_nlp(CONFIG["pre_ner"]["model"])


@pytest.fixture(scope="module")
def doc(nlp):
    opts = replace(names.PreNerOptions.from_config(CONFIG["pre_ner"]), actors=True)
    return names.pre_ner(TMDB, opts, nlp)


def test_forms_people_say():
    assert names.name_forms("Elinor Dashwood", "PERSON") == [
        "Elinor Dashwood",
        "Elinor",
        "Dashwood",
    ]
    assert "Brandon" in names.name_forms("Colonel Brandon", "PERSON")
    assert names.name_forms("Mrs. Jennings", "PERSON") == ["Mrs. Jennings", "Jennings"]
    sir = names.name_forms("Sir John Middleton", "PERSON")
    assert {"John Middleton", "John", "Middleton", "Sir Middleton"} <= set(sir)
    assert "van Gogh" in names.name_forms("Vincent van Gogh", "PERSON")
    assert names.name_forms("the Netherlands", "GPE") == ["the Netherlands", "Netherlands"]
    assert names.name_forms("Robert Downey Jr.", "PERSON")[:2] == [
        "Robert Downey Jr.",
        "Robert Downey",
    ]


def test_pre_ner_entities_sources_and_prompts(doc):
    by_text = {e["text"]: e for e in doc["entities"]}
    # cast order decides the order; "(voice)" and "Himself" are not names
    assert [e["text"] for e in doc["entities"][:4]] == [
        "Elinor Dashwood",
        "Marianne Dashwood",
        "Colonel Brandon",
        "Frederick Leighton",
    ]
    assert "Himself" not in by_text and "Bill Nighy" in by_text
    assert by_text["Elinor Dashwood"]["label"] == "PERSON"
    # the synopsis's mentions of cast members are merged into them, not new entities
    assert "overview" in by_text["Marianne Dashwood"]["sources"]
    assert "overview" in by_text["Colonel Brandon"]["sources"]
    assert by_text["London"]["label"] == "GPE" and by_text["London"]["sources"] == ["overview"]
    assert by_text["Emma Thompson"]["sources"] == ["cast.name"]
    assert doc["hotwords"].startswith("Elinor Dashwood, Marianne Dashwood, Colonel Brandon")
    assert doc["initial_prompt"].startswith("Sense and Sensibility. With Elinor Dashwood")
    assert "London" in doc["initial_prompt"]
    assert names.window_prompt(doc, "prompt") == doc["initial_prompt"]
    assert names.window_prompt(doc, "hotwords") == doc["hotwords"]
    assert names.window_prompt(doc, "off") is None
    assert names.window_prompt({"status": "skipped", "reason": "x"}, "prompt") is None
    text, note = names.asr_bias(doc, "prompt")
    assert text == doc["initial_prompt"] and note.endswith(
        "names biased (prompt before every window)"
    )
    assert names.asr_bias(doc, "off") == (None, "no name biasing (off)")


def test_pre_ner_skips_without_metadata(nlp):
    opts = names.PreNerOptions.from_config(CONFIG["pre_ner"])
    with pytest.raises(SkipStage, match="no TMDB key"):
        names.pre_ner({"status": "skipped", "reason": "no TMDB key"}, opts, nlp)
    with pytest.raises(SkipStage, match="names nobody"):
        names.pre_ner({"status": "success", "cast": [], "overview": ""}, opts, nlp)


def words(text: str, probs: dict[str, float] | None = None, t0: float = 10.0) -> list[dict]:
    """ASR-shaped words: each 0.4 s, probability 0.9 unless given."""
    out = []
    for k, w in enumerate(text.split()):
        p = (probs or {}).get(w, 0.9)
        out.append(
            {"start": t0 + 0.4 * k, "end": t0 + 0.4 * k + 0.35, "word": " " + w, "probability": p}
        )
    return out


def correct(doc, text, probs=None):
    forms = name_correction.entity_forms(doc)
    fixed, made = name_correction.correct_words(words(text, probs), forms, POST)
    return "".join(w["word"] for w in fixed).strip(), made, fixed


def test_possessive_respelled_with_evidence_and_times(doc):
    text, made, fixed = correct(doc, "I saw Layton's studio.", {"Layton's": 0.4})
    assert text == "I saw Leighton's studio."
    (c,) = made
    assert (
        c["from"] == "Layton's" and c["to"] == "Leighton's" and c["entity"] == "Frederick Leighton"
    )
    assert c["score"] > 0.7 and any("probability" in e for e in c["evidence"])
    assert (fixed[2]["start"], fixed[2]["end"]) == (10.8, 11.15)


def test_two_word_name_and_split_name(doc):
    text, made, _ = correct(doc, "The engraving by Burkett Foster hangs here.")
    assert text == "The engraving by Birket Foster hangs here."
    # "Lay ton": two real words, respelled only because the model doubted them and the
    # name's other half is beside them; the new word spans both old ones.
    text, made, fixed = correct(doc, "Frederick Lay ton painted it.", {"Lay": 0.3, "ton": 0.2})
    assert text == "Frederick Leighton painted it."
    assert (fixed[1]["start"], fixed[1]["end"]) == (10.4, 11.15)
    assert len(fixed) == 4


def test_casing(doc):
    # "elinor" is no English word: its letters are the evidence. "brandon" is a frequent
    # word (wordfreq), so the model's sure lower case stands without more evidence.
    text, made, _ = correct(doc, "tell elinor that brandon is here.")
    assert text == "tell Elinor that brandon is here."
    assert [c["to"] for c in made] == ["Elinor"]


def test_common_words_never_become_names(doc):
    # Sounds like "Schoeffer", "Hester Prynne", "Foster", "Brandon": real words that the
    # model was sure of, or doubted without any sign that a name was meant, stay.
    for sentence, probs in (
        ("The chauffeur waited by the car.", {"chauffeur": 0.3}),
        ("He has to print the letters.", {"print": 0.3}),
        ("The foster family lives by the river.", {"foster": 0.2}),
        ("She poured a glass of brandy.", {"brandy.": 0.3}),
        ("We will leave at dawn.", None),
        ("An ancient Roman character.", {"Roman": 0.9}),
    ):
        text, made, _ = correct(doc, sentence, probs)
        assert (text, made) == (sentence, []), sentence
    # the same sound with the title in front is a name
    text, made, _ = correct(doc, "Colonel brandy arrived.", {"brandy": 0.3})
    assert text == "Colonel Brandon arrived."


def test_exact_names_untouched(doc):
    sentence = "Elinor Dashwood and Marianne met Colonel Brandon in London."
    assert correct(doc, sentence) == (sentence, [], words(sentence))


def test_correct_transcript_rebuilds_text(doc):
    transcript = {
        "language": "en",
        "segments": [
            {
                "id": 0,
                "start": 10.0,
                "end": 12.0,
                "text": "x",
                "words": words("Ask Layton's man.", {"Layton's": 0.2}),
            }
        ],
    }
    out = name_correction.correct_transcript(transcript, doc, POST)
    assert out["segments"][0]["text"] == "Ask Leighton's man."
    assert out["corrections"][0]["to"] == "Leighton's"
    assert transcript["segments"][0]["text"] == "x"  # the input is not changed


@pytest.fixture(scope="module")
def tiny():
    from subsmith.speech import asr

    return asr.load_model("tiny.en", "cpu", "int8", threads=2)[0]


@pytest.mark.parametrize("batch_size", [0, 4])
def test_names_reach_every_window(tiny, doc, batch_size):
    """The name is spoken in the SECOND decoding window: the prompt text must reach it with
    batch_size 0 too (faster-whisper's initial_prompt would reach only the first window;
    biased, batch_size 0 is decoded window by window, subsmith.names.pre_ner.asr_bias), and no
    speech may be lost to the names."""
    from subsmith.speech import asr

    first = demo.trim(demo.speak("The ship is ready to leave the harbour this morning.", "en-us"))
    second = demo.trim(demo.speak("Hester Prynne stood alone on the scaffold.", "en-gb"))
    gap = np.zeros(demo.RATE, np.float32)
    audio = np.concatenate([gap, first, gap, second, gap])
    a, b = 1.0, 2.0 + len(first) / demo.RATE
    regions = [
        {"start": a - 0.2, "end": a + len(first) / demo.RATE + 0.2},
        {"start": b - 0.2, "end": b + len(second) / demo.RATE + 0.2},
    ]
    meta = {
        **TMDB,
        "cast": [*TMDB["cast"], {"name": "Meryl Streep", "character": "Hester Prynne", "order": 3}],
    }
    opts = names.PreNerOptions.from_config(CONFIG["pre_ner"])
    biased_doc = names.pre_ner(meta, opts)

    opts = replace(
        asr.AsrOptions.from_config(CONFIG["asr"]), chunk_seconds=5, batch_size=batch_size
    )

    def decode(prompt):
        return asr.transcribe(tiny, audio, regions, opts, language="en", hotwords=prompt)

    def text(out):
        return " ".join(s["text"] for s in out["segments"])

    assert "Hester Prynne" not in text(decode(None))  # means something only if plain fails
    biased = decode(names.window_prompt(biased_doc, CONFIG["pre_ner"]["bias"]))
    assert "Hester Prynne" in text(biased)
    # the first sentence is all there: the biased stream did not seek past speech
    assert "ready to leave the harbour" in text(biased).replace("harbor", "harbour")
    # the second look hears the name that was said, and keeps it
    checked, found = name_check.check(
        tiny, audio, regions, biased, biased_doc, opts, language="en", min_heard=HEARD
    )
    assert "Hester Prynne" in text(checked), found
    assert found["name_words"] >= 2 and found["redecoded_seconds"] > 0


def test_biased_capital_on_a_common_word_undone(doc):
    # Biasing with "Birket Foster" made the model write "The Foster family" (doubted):
    # the common word goes back to lower case; the real name beside its given name stays.
    text, made, _ = correct(doc, "The Foster family lives here.", {"Foster": 0.06})
    assert text == "The foster family lives here."
    assert made[0]["from"] == "Foster" and made[0]["to"] == "foster"
    for sentence, probs in (
        ("The Foster family lives here.", {"Foster": 0.9}),  # the model was sure
        ("A print by Birket Foster hangs here.", {"Foster": 0.06}),  # the name, whole
        ("Ask Foster about it.", {"Foster": 0.06}),  # no determiner: a name
        ("Tell her that Foster is here.", {"Foster": 0.06}),  # "that" introduces a clause
    ):
        assert correct(doc, sentence, probs)[:2] == (sentence, []), sentence


def test_subtitles_read_the_corrected_transcript_when_post_ner_ran(tmp_path):
    from subsmith.core.jsonio import write_json_atomic

    plain, corrected = tmp_path / "transcript.json", tmp_path / "transcript.corrected.json"
    write_json_atomic(plain, {"segments": [{"text": "Leeton"}]})
    write_json_atomic(corrected, {"status": "skipped", "reason": "no names"})
    assert (
        name_correction.transcript_for_subtitles(str(corrected), str(plain))["segments"][0]["text"]
        == "Leeton"
    )
    write_json_atomic(corrected, {"segments": [{"text": "Leighton"}], "corrections": []})
    assert (
        name_correction.transcript_for_subtitles(str(corrected), str(plain))["segments"][0]["text"]
        == "Leighton"
    )
    with pytest.raises(SkipStage, match="pre_ner skipped"):
        name_correction.usable_entities({"status": "skipped", "reason": "x"}, "e.json")


def test_second_look_takes_back_a_name_nobody_said(tiny, doc):
    """The biased decoder heard "Hester" and wrote the cast's "Hester Prynne" over the spoken
    "read" (bench/names_results.md, before the check). Made here from a real decode: the
    plain words with "read" turned into "Prynne", on the same times. The second look, on
    the real audio without the names, hears "read" there and puts it back; "Hester", said,
    stays, and so does the rest."""
    from subsmith.speech import asr

    line = demo.trim(demo.speak("Ada Whittemore and Hester read the letter twice.", "en-us"))
    gap = np.zeros(demo.RATE, np.float32)
    audio = np.concatenate([gap, line, gap])
    regions = [{"start": 0.8, "end": 1.2 + len(line) / demo.RATE}]
    opts = asr.AsrOptions.from_config(CONFIG["asr"])
    plain = asr.transcribe(tiny, audio, regions, opts, language="en")
    words = [w for s in plain["segments"] for w in s["words"]]
    spoken = [i for i, w in enumerate(words) if w["word"].strip(" .,") == "read"]
    assert spoken, words  # the test needs the plain decoder to hear "read"
    made_up = copy.deepcopy(plain)
    n = 0
    for seg in made_up["segments"]:
        for w in seg["words"]:
            if n == spoken[0]:
                w["word"] = " Prynne"
            n += 1
        seg["text"] = "".join(w["word"] for w in seg["words"]).strip()
    meta = {
        **TMDB,
        "cast": [*TMDB["cast"], {"name": "Meryl Streep", "character": "Hester Prynne", "order": 3}],
    }
    entities = names.pre_ner(meta, names.PreNerOptions.from_config(CONFIG["pre_ner"]))
    checked, found = name_check.check(
        tiny, audio, regions, made_up, entities, opts, language="en", min_heard=HEARD
    )
    text = " ".join(s["text"] for s in checked["segments"])
    assert "Prynne" not in text and "read the letter" in text, (text, found)
    (gone,) = found["not_heard"]
    assert gone["from"] == "Prynne" and gone["heard"][0] < HEARD
    # with the check off the made-up name stays: the check, not chance, took it back
    kept, _ = name_check.check(
        tiny, audio, regions, made_up, entities, opts, language="en", min_heard=0
    )
    assert kept is made_up


def test_heard_by_sound():
    # what the second look weighs: the unbiased words at a name's place, a run of 1-3
    assert name_check.heard("Whittemore", words("that we see more and")) >= HEARD
    assert name_check.heard("Prynne", words("Hester print")) >= HEARD
    assert name_check.heard("Ferrars", words("where there are promised")) >= HEARD
    assert name_check.heard("Prynne", words("read the")) < HEARD
    # titles are never looked at: the prompt does not invent "Colonel"
    assert {"Brandon", "Elinor", "Dashwood"} <= name_check.name_words(
        {"status": "success", "entities": [{"forms": ["Colonel Brandon", "Elinor Dashwood"]}]}
    )
    assert "Colonel" not in name_check.name_words(
        {"status": "success", "entities": [{"forms": ["Colonel Brandon"]}]}
    )


def test_corrected_text_is_joined_as_spelled(doc):
    """post_ner rebuilds a corrected segment's text from its words: joined as the decoder
    spelled them ("seven-year-old", "41636.9", "Dr. Hayes", "can't", "U.S."), and an older
    transcript's stripped words spaced, a respelled two-word name included (issue 28)."""
    pieces = [" Ask", " Layton's", " seven", "-year", "-old", " about", " 41", "636", ".9"]
    pieces += [" and", " Dr.", " Hayes", " who", " can", "'t", " leave", " the", " U", ".S."]
    spelled = words("x " * len(pieces))
    for w, p in zip(spelled, pieces, strict=True):
        w["word"] = p
    spelled[1]["probability"] = 0.2
    segment = {"id": 0, "start": 10.0, "end": 18.0, "text": "x", "words": spelled}
    out = name_correction.correct_transcript({"segments": [segment]}, doc, POST)
    assert out["segments"][0]["text"] == (
        "Ask Leighton's seven-year-old about 41636.9 and Dr. Hayes who can't leave the U.S."
    )
    stripped = [
        {**w, "word": w["word"].strip()}
        for w in words("The engraving by Burkett Foster hangs here.")
    ]
    segment = {"id": 0, "start": 10.0, "end": 13.0, "text": "x", "words": stripped}
    out = name_correction.correct_transcript({"segments": [segment]}, doc, POST)
    assert out["segments"][0]["text"] == "The engraving by Birket Foster hangs here."
    assert not any(w["word"][:1].isspace() for w in out["segments"][0]["words"])
