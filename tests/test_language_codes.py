"""Issue 29: every language Whisper knows has its ISO 639-2/B tag and English name, any
code form (de/deu/ger, lt/lit) is read everywhere, and a code no model can write is
refused before demux. Fast: no media, no model (the e2e run is test_languages.py)."""

from __future__ import annotations

import pytest
from babelfish import Language

from conftest import run_snakemake
from subsmith.core import languages, settings
from subsmith.media import tracks
from subsmith.speech import spoken
from subsmith.subtitles.publish import published_name

# Languages babelfish has no 639-1 code for, or Whisper a code of its own: the overrides.
SPECIAL = {"haw": ("haw", "haw"), "yue": ("yue", "yue"), "jw": ("jav", "jv"), "sn": ("sna", "sn")}


def test_the_copied_code_list_is_faster_whispers():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert tuple(languages.WHISPER_CODES) == tuple(_LANGUAGE_CODES)


@pytest.mark.parametrize("code", languages.WHISPER_CODES)
def test_every_whisper_language_round_trips(code, tmp_path):
    """detection code -> track tag (639-2/B) -> sidecar suffix -> the same language."""
    tag = languages.to_639_2(code)
    assert len(tag) == 3 and tag != "und"
    try:  # babelfish's 639-2/B where one exists
        assert tag == Language.fromcode(languages.to_639_1(code), "alpha2").alpha3b
    except Exception:  # noqa: BLE001 - no 639-1 or no 639-2/B code: the override's
        assert tag == SPECIAL[code][0]
    name = languages.name(code)
    assert name != "Unknown language" and "(" not in name
    sidecar = published_name(tmp_path / "subtitles" / "Movie.srt", tmp_path, code)
    suffix = sidecar.name.split(".")[-2]
    assert sidecar.name == f"Movie.{suffix}.srt" and suffix == languages.to_639_1(code)
    assert len(suffix) == 2 or code in ("haw", "yue")
    for form in (tag, suffix, code, tag.upper()):
        assert languages.whisper_code(form) == code, form
        assert languages.same_language(form, code)
        assert languages.name(form) == name
    if code in SPECIAL:
        assert (tag, suffix) == SPECIAL[code]


@pytest.mark.parametrize(
    ("forms", "one", "tag", "name"),
    [
        (("de", "deu", "ger", "DE", "de-AT"), "de", "ger", "German"),
        (("fr", "fra", "fre"), "fr", "fre", "French"),
        (("lt", "lit"), "lt", "lit", "Lithuanian"),
        (("zh", "zho", "chi"), "zh", "chi", "Chinese"),
        (("el", "ell", "gre"), "el", "gre", "Greek"),
        (("jv", "jav", "jw"), "jv", "jav", "Javanese"),
        (("he", "heb", "iw"), "he", "heb", "Hebrew"),
    ],
)
def test_b_and_t_forms_are_one_language(forms, one, tag, name):
    for form in forms:
        assert languages.to_639_1(form) == one, form
        assert languages.to_639_2(form) == tag, form
        assert languages.name(form) == name, form


def test_unknown_codes_stay_unknown():
    assert languages.to_639_2("xx") == "und" and languages.name("xx") == "Unknown language"
    assert languages.whisper_code("xx") is None and languages.whisper_code("tlh") is None
    assert languages.to_639_2("und") == "und" and languages.to_639_1(None) is None
    assert languages.name("tlh") == "Klingon"  # a real language, only not Whisper's


def test_a_track_tagged_lit_is_chosen_for_language_lt():
    streams = [
        {"index": 1, "codec_type": "audio", "channels": 2, "tags": {"language": "eng"}},
        {"index": 2, "codec_type": "audio", "channels": 2, "tags": {"language": "lit"}},
    ]
    for code in ("lt", "lit"):
        choice = tracks.choose(streams, code)
        assert choice.index == 2 and choice.why == ["lit"]
    assert tracks.choose(streams, "en").index == 1


@pytest.mark.parametrize(
    ("model", "language", "refused"),
    [
        ("tiny.en", "de", "is English-only and cannot transcribe German (de)"),
        ("tiny.en", "ger", "is English-only and cannot transcribe German (ger)"),
        ("auto", "xx", "language 'xx' is no language Whisper can transcribe"),
        ("base", "tlh", "language 'tlh' is no language Whisper can transcribe"),
        ("auto", "deu", None),
        ("tiny.en", "eng", None),
        ("base", "yue", None),
        ("auto", "auto", None),
    ],
)
def test_preflight_refuses_what_the_model_cannot_write_in_one_line(model, language, refused):
    line = spoken.refusal(model, language)
    if refused is None:
        assert line is None
    else:
        assert refused in line and "\n" not in line


def test_the_config_language_is_read_in_its_one_form_and_whisper_gets_its_own_code():
    cfg = {"language": "deu", "demux": {"audio_language": "fre"}}
    settings.validate(cfg)
    settings.canonical(cfg)
    assert cfg["language"] == "de" and cfg["demux"]["audio_language"] == "fr"

    class Never:
        def detect_language(self, audio: object) -> None:
            raise AssertionError("a set language is not detected")

    assert spoken.settle("auto", "jv", [], None, lambda name: Never())[0] == "jw"
    assert spoken.settle("auto", "deu", [], None, lambda name: Never())[0] == "de"


def test_language_deu_names_the_sidecar_de_in_the_workflow(tmp_path):
    """Through Snakemake (a dry run): `--config language=deu` plans Movie.de.srt."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "Movie.mkv").write_bytes(b"")
    proc = run_snakemake(tmp_path, "--dry-run", "--config", "language=deu")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "out/Movie/Movie.de.srt" in proc.stdout and "Movie.deu." not in proc.stdout


def test_an_unknown_language_is_refused_before_demux(tmp_path):
    """A real run (not a dry one: pre-flight runs at its start) stops in one line."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "Movie.mkv").write_bytes(b"")
    proc = run_snakemake(tmp_path, "--config", "language=xx")
    assert proc.returncode != 0
    lines = [s for s in proc.stderr.splitlines() if s.startswith("subsmith pre-flight:")]
    assert lines == [
        "subsmith pre-flight: language 'xx' is no language Whisper can transcribe; set "
        "`language` to the ISO 639-1 or 639-2 code of a language Whisper knows (de, deu or "
        "ger for German), or auto"
    ]
    assert not (tmp_path / "out" / "Movie").exists()  # no stage ran
