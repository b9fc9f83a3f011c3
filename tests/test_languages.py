"""End to end, language: auto: German and Spanish movies transcribed in their language by
the multilingual model, the sidecar and the subtitle track named so, and the German
movie's English commentary (listed first, flagged default) left alone."""

import json

import pytest

from conftest import read_manifest, run_snakemake, subtitle_text
from subsmith import cli, demo
from subsmith.media import probe as media

pytestmark = pytest.mark.e2e

DE, ES = "Der Hafen (2020)", "El Puerto (2021)"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("languages")
    commentary, _ = demo.dialogue(demo.DIALOGUE[:2], lead_in=0.5, tail=0.5)
    german, _ = demo.dialogue(demo.GERMAN, lead_in=0.5, tail=0.5)
    spanish, _ = demo.dialogue(demo.SPANISH, lead_in=0.5, tail=0.5)
    demo.make_movie(
        work / "in" / f"{DE}.mkv",
        [
            {
                "audio": commentary,
                "language": "eng",
                "title": "Director's Commentary",
                "default": True,
            },
            {"audio": german, "language": "ger", "title": "Deutsch"},
        ],
    )
    demo.make_movie(work / "in" / f"{ES}.mp4", [{"audio": spanish}])
    proc = run_snakemake(work, "--config", "language=auto")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


@pytest.mark.parametrize(
    ("movie", "lang", "tag", "name", "words"),
    [
        (DE, "de", "ger", "German", ("nicht", "hause", "dank")),
        (ES, "es", "spa", "Spanish", ("barco", "puerto", "casa")),
    ],
)
def test_each_movie_is_transcribed_and_named_in_its_language(run, movie, lang, tag, name, words):
    d = run / "out" / movie
    transcript = json.loads((d / "asr" / "transcript.json").read_text(encoding="utf-8"))
    assert transcript["language"] == lang
    assert transcript["language_detection"]["language"] == lang
    assert "multilingual" in transcript["model"]
    sidecar = d / f"{movie}.{lang}.srt"
    assert sidecar.exists(), sorted(p.name for p in d.iterdir())
    assert not list(d.glob("*.und.srt")) and not list(d.glob("*.en.srt"))
    text = sidecar.read_text(encoding="utf-8").lower()
    for word in words:
        assert word in text, (word, text)
    sub = [s for s in media.probe(d / "final.mkv")["streams"] if s["codec_type"] == "subtitle"]
    assert sub[-1]["tags"]["language"] == tag
    assert sub[-1]["tags"]["title"] == f"{name} (subsmith)"
    assert subtitle_text(d / "final.mkv").lower().count(" --> ") == text.count(" --> ")
    steps = read_manifest(run, movie)["pipeline"]["steps"]
    assert f"language {lang}" in steps["asr"]["notes"]
    assert f"{movie}.{lang}.srt" in steps["mux"]["notes"]


def test_the_commentary_listed_first_is_named_and_skipped(run):
    note = read_manifest(run, DE)["pipeline"]["steps"]["demux"]["notes"]
    assert "#2 ger mono 'Deutsch' (skipped #1: commentary)" in note
    media_json = json.loads((run / "out" / DE / "media.json").read_text(encoding="utf-8"))
    assert media_json["audio_stream"]["index"] == 2


def test_a_deleted_sidecar_is_reported_and_the_command_given_brings_it_back(run):
    """The language-named sidecar is no Snakemake target (its name is known only after
    asr): a deleted one stays gone on the next run, `subsmith status` says so and how to
    publish it again, and that command does. (Last: it re-muxes the Spanish movie.)"""
    sidecar = run / "out" / ES / f"{ES}.es.srt"
    kept = sidecar.read_bytes()
    sidecar.unlink()
    again = run_snakemake(run, "--config", "language=auto")
    assert again.returncode == 0 and not sidecar.exists(), again.stderr[-2000:]
    rows = {r["movie"]: r for r in cli.movie_rows(run / "out")}
    command = f'snakemake --cores 1 "{run.as_posix()}/out/{ES}/final.mkv" --forcerun mux'
    assert rows[ES]["note"] == f"{ES}.es.srt missing: copy it from subtitles/, or run {command}"
    assert rows[DE]["note"] == ""
    fix = run_snakemake(
        run, f"out/{ES}/final.mkv", "--config", "language=auto", "--forcerun", "mux"
    )
    assert fix.returncode == 0, fix.stderr[-2000:]
    assert sidecar.read_bytes() == kept
    assert {r["movie"]: r["note"] for r in cli.movie_rows(run / "out")}[ES] == ""
