"""A library shaped like the ones people keep, through the real workflow (one run).

A movie at the top of in/ and an extra in its folder, a TV season tree, the same extra
name in two places, a 250-character name, a name that is not UTF-8, two files for one
name, and the output folder inside the input folder. Every movie that can be done is
done; each of the others is one line; the exit code is 1 for those alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import env, read_manifest, run_snakemake
from subsmith import demo
from subsmith.harness.stages import STAGE_NAMES
from subsmith.media import probe as media

pytestmark = pytest.mark.e2e

LONG = "Amélie " + ("and the Long Title " * 13)[:236] + " (2019)"  # 250 characters
DONE = [
    "Solo (2010)",  # at the top of in/: out/Solo (2010)/
    "Solo (2010)/Featurettes/Behind the Scenes",  # inside that movie's own folder
    "Show/Season 1/Behind the Scenes",  # a season tree, and the same extra name again
    LONG,  # cut in out/ so that its sidecar fits in 255 bytes
]
LATIN1 = b"Am\xe9lie (2001)"  # a name from an old system: not UTF-8


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("shelf")
    audio, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, tail=0.3)  # ~3 s of speech
    clip = demo.make_movie(work / "clip.mkv", [{"audio": audio, "language": "eng"}])
    inp = work / "in"
    for name in DONE:
        (inp / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, inp / f"{name}.mkv")
    shutil.copy(clip, os.fsencode(inp) + b"/" + LATIN1 + b".mkv")
    shutil.copy(clip, inp / "Dup.mkv")
    shutil.copy(clip, inp / "Dup.mp4")
    # The output folder inside the input folder.
    config = ["--config", f"output_dir={inp / 'out'}"]
    proc = run_snakemake(work, "--keep-going", *config)
    return {"work": work, "out": inp / "out", "proc": proc, "config": config}


def movie_name(name: str) -> str:
    """The movie's folder under out/: its path, the file name cut for the sidecar."""
    folder, slash, base = name.rpartition("/")
    return folder + slash + base.encode()[:239].decode("utf-8", "ignore").rstrip()


def test_every_movie_that_can_be_done_is_done(run):
    out = run["out"]
    for name in DONE:
        movie = movie_name(name)
        d = out / movie
        base = movie.rsplit("/", 1)[-1]
        assert (d / f"{base}.en.srt").read_text().strip(), name
        kinds = [s["codec_type"] for s in media.probe(d / "final.mkv")["streams"]]
        assert kinds == ["video", "audio", "subtitle"], name
        m = json.loads((d / "manifest.json").read_text())
        assert m["pipeline"]["completed_stages"] == list(STAGE_NAMES), name
    assert len(movie_name(LONG).encode()) <= 239 < len(LONG.encode())


def test_each_bad_entry_is_one_line_and_only_they_fail(run):
    proc = run["proc"]
    assert proc.returncode == 1
    err = proc.stderr
    assert "Traceback" not in err and "UnicodeEncodeError" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("subsmith demux failed:")]
    latin = [ln for ln in lines if "Am\\xe9lie (2001).mkv: the file name is not valid UTF-8" in ln]
    dup = [ln for ln in lines if "would share its output folder 'Dup'" in ln]
    assert len(latin) == 1 and len(dup) == 1 and len(lines) == 2, lines
    for movie in ("Am\\xe9lie (2001)", "Dup"):
        m = json.loads((run["out"] / movie / "manifest.json").read_text())
        assert m["pipeline"]["status"] == "failed"
        assert m["pipeline"]["steps"]["demux"]["status"] == "failed"


def test_status_lists_every_movie_by_its_path(run):
    rows = json.loads(
        subprocess.run(
            [str(Path(os.sys.executable).parent / "subsmith"), "status", "--json", str(run["out"])],
            capture_output=True,
            text=True,
            env=env(),
        ).stdout
    )
    got = {r["movie"]: r["status"] for r in rows}
    want = {movie_name(n): "completed" for n in DONE}
    want.update({"Am\\xe9lie (2001)": "failed", "Dup": "failed"})
    assert got == want


def test_a_second_run_finds_no_new_movie_in_the_output_folder(run):
    proc = run_snakemake(run["work"], "--dry-run", "--keep-going", *run["config"])
    text = proc.stdout + proc.stderr
    # Only the two refused entries are left (they fail again); no final.mkv is a movie.
    stats = text.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    rules = {ln.split()[0] for ln in stats.splitlines()[3:] if ln.strip()}
    assert rules == {"all", "refused_input", "total"}, stats
    assert "final/" not in text


def test_a_movie_at_the_top_is_asked_for_by_its_typed_path(run):
    target = run["out"] / "Solo (2010)" / "final.mkv"
    target.unlink()
    proc = run_snakemake(run["work"], str(target), *run["config"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert target.exists()
    m = read_manifest(run["work"] / "in", "Solo (2010)")
    assert m["pipeline"]["steps"]["mux"]["runs"] == 2


def test_a_replaced_movie_is_redone_whatever_its_mtime(run):
    """Like `rsync -a` of a new version: a new file (new inode) renamed over the old one,
    with a modification time older than everything in out/."""
    name = "Show/Season 1/Behind the Scenes"
    src = run["work"] / "in" / f"{name}.mkv"
    audio, _ = demo.dialogue(demo.DIALOGUE[1:2], lead_in=0.3, tail=0.3)
    new = demo.make_movie(run["work"] / "new.mkv", [{"audio": audio, "language": "eng"}])
    os.utime(new, (1_000_000_000, 1_000_000_000))  # 2001
    os.replace(new, src)
    target = run["out"] / name / "final.mkv"
    dry = run_snakemake(run["work"], "--dry-run", str(target), *run["config"])
    assert "Params have changed" in dry.stdout + dry.stderr
    proc = run_snakemake(run["work"], str(target), *run["config"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    srt = (run["out"] / name / "Behind the Scenes.en.srt").read_text().lower()
    assert "going" in srt and "morning" not in srt
    m = read_manifest(run["work"] / "in", name)
    note = m["input"]["replaced"]
    assert note.startswith("the input was replaced (") and "inode" in note and "ctime_ns" in note
    assert m["pipeline"]["status"] == "completed" and m["pipeline"]["steps"]["demux"]["runs"] == 2
    again = run_snakemake(run["work"], "--dry-run", str(target), *run["config"])
    assert "Nothing to be done" in again.stdout + again.stderr
