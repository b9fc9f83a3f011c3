"""A movie without speech (a score, a trailer without dialogue) completes: no cue, no
new subtitle track, final.mkv with every original stream, empty sidecars, a manifest
note, exit code 0 (issue 22)."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from test_hallucination import music

from conftest import env, read_manifest, run_snakemake
from subsmith import demo
from subsmith.harness import manifest
from subsmith.media import probe as media

MOVIE = "Overture (1961)"
OLD_SUBS = "1\n00:00:01,000 --> 00:00:03,000\n[orchestra tuning]\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("nospeech")
    demo.make_movie(
        work / "in" / f"{MOVIE}.mkv",
        [{"audio": music(8.0), "language": "eng", "default": True}],
        subtitle_srt=OLD_SUBS,
    )
    return work, run_snakemake(work)


@pytest.mark.e2e
def test_a_music_only_movie_completes_without_a_new_track(run):
    work, proc = run
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = work / "out" / MOVIE
    src = media.probe(work / "in" / f"{MOVIE}.mkv")["streams"]
    final = media.probe(out / "final.mkv")["streams"]
    # Every original stream, copied; no new subtitle track.
    assert [(s["codec_type"], s["codec_name"]) for s in final] == [
        (s["codec_type"], s["codec_name"]) for s in src
    ]
    assert (out / f"{MOVIE}.en.srt").read_text() == ""
    m = read_manifest(work, MOVIE)
    assert m["pipeline"]["status"] == "completed"
    assert m["pipeline"]["note"] == manifest.NO_SPEECH
    assert manifest.NO_SPEECH in m["pipeline"]["steps"]["mux"]["notes"]
    exe = str(Path(os.sys.executable).parent / "subsmith")
    shown = subprocess.run(
        [exe, "status", str(work / "out")], capture_output=True, text=True, env=env()
    )
    assert shown.returncode == 0
    assert "completed" in shown.stdout and f"{MOVIE}: {manifest.NO_SPEECH}" in shown.stdout
    rows = json.loads(
        subprocess.run(
            [exe, "status", "--json", str(work / "out")],
            capture_output=True,
            text=True,
            env=env(),
            check=True,
        ).stdout
    )
    assert [(r["status"], r["note"]) for r in rows] == [("completed", manifest.NO_SPEECH)]
