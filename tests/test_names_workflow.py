"""End to end: a movie with a Kodi .nfo beside it gets its cast's names right, in the
sidecar SRT and in final.mkv, through tmdb -> pre_ner -> asr (biased) -> post_ner."""

from __future__ import annotations

import pytest

from conftest import read_manifest, run_snakemake, subtitle_text
from subsmith import demo
from subsmith.core.jsonio import read_json

pytestmark = pytest.mark.e2e

MOVIE = "The Scarlet Letter (1995)"
LINES = (
    ("en-gb", "Hester Prynne stood alone on the scaffold."),
    ("en-us", "Colonel Brandon arrived at the cottage before noon."),
    ("en-us", "The ship is ready to leave the harbour this morning."),
)
# What Kodi (and Jellyfin, Emby, tinyMediaManager) writes beside a movie: the cast, and
# people in it who are never named in these lines (distractors).
NFO = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
  <title>The Scarlet Letter</title>
  <year>1995</year>
  <plot>In Boston, Hester Prynne keeps the name of her child's father from Roger Chillingworth.</plot>
  <actor><name>Demi Moore</name><role>Hester Prynne</role><order>0</order></actor>
  <actor><name>Gary Oldman</name><role>Arthur Dimmesdale</role><order>1</order></actor>
  <actor><name>Alan Rickman</name><role>Colonel Brandon</role><order>2</order></actor>
  <actor><name>Robert Duvall</name><role>Roger Chillingworth</role><order>3</order></actor>
</movie>
"""


def test_nfo_cast_names_spelled_right(tmp_path):
    audio, _ = demo.dialogue(LINES, lead_in=0.5, tail=0.5)
    demo.make_movie(tmp_path / "in" / f"{MOVIE}.mkv", [{"audio": audio}])
    (tmp_path / "in" / f"{MOVIE}.nfo").write_text(NFO, encoding="utf-8")
    proc = run_snakemake(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "out" / MOVIE
    steps = read_manifest(tmp_path, MOVIE)["pipeline"]["steps"]
    assert steps["pre_ner"]["status"] == "success", steps["pre_ner"]
    entities = read_json(out / "entities" / "pre_ner.json")
    assert entities["entities"][0]["text"] == "Hester Prynne"
    assert "Boston" in [e["text"] for e in entities["entities"]]  # from the plot, by spaCy
    # the manifest says how many names were biased and how many corrections were made
    assert "names biased (prompt before every window)" in steps["asr"]["notes"]
    assert "name check: " in steps["asr"]["notes"]  # the second look ran (name_check)
    assert steps["post_ner"]["status"] == "success"
    assert "corrections of names" in steps["post_ner"]["notes"]
    corrected = read_json(out / "asr" / "transcript.corrected.json")
    assert isinstance(corrected["corrections"], list)
    srt = (out / f"{MOVIE}.en.srt").read_text(encoding="utf-8")
    for name in ("Hester Prynne", "Colonel Brandon"):
        assert name in srt, srt
        assert name in subtitle_text(out / "final.mkv"), name
    for never_said in ("Dimmesdale", "Chillingworth", "Boston", "Demi Moore", "Rickman"):
        assert never_said not in srt
