"""A generated library of 200+ entries in Jellyfin's layout through the real workflow
(issue 31): movies, TV seasons, extras folders, embedded and user subtitles, forced-only
ones, read-only files and folders, names with spaces, quotes and unicode. Cheap: every
entry is a copy of one tiny clip, and all but a handful are skipped for the subtitle
they have; those few are transcribed (seconds each)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from test_existing import with_subtitle
from test_media_library import checksums

from conftest import run_snakemake
from subsmith import demo

pytestmark = pytest.mark.e2e

SRT = "1\n00:00:00,500 --> 00:00:02,000\nHello there.\n"
NAMES = ["Heat", "L'Atalante", 'The "Thin" Man', "Amélie", "Solaris", "Ikiru 生きる",
         "Da Capo", "Øresund", "Señor Ñandú", "Crash & Burn"]  # fmt: skip
SIDECARS = [".en.srt", ".eng.srt", ".en.sdh.srt", ".en-US.srt", ".en.ass", ".eng.vtt"]
# Each gets exactly one new file beside it, <stem>.en.srt.
TODO = {
    "Movies/Zoë's Café (2020)/Zoë's Café (2020)": "plain",
    'Shows/The "Wire" (2002)/Season 02/The "Wire" - S02E01': ".en.forced.srt",
    "Movies/Heat 0 (1990)/extras/Behind the Scenes": ".de.srt",
}


def layout() -> dict[str, str]:
    """{entry (path without extension): what it has} for the skipped entries."""
    entries: dict[str, str] = {}
    for i in range(100):  # movies with a user sidecar (some read-only, below)
        title = f"{NAMES[i % len(NAMES)]} {i} ({1950 + i % 70})"
        entries[f"Movies/{title}/{title}"] = SIDECARS[i % len(SIDECARS)]
    for i in range(20):  # an embedded full English track
        entries[f"Movies/Embedded {i} (2001)/Embedded {i} (2001)"] = "embedded"
    for s in range(1, 5):  # TV: 4 seasons of 12 episodes with the show's subtitles
        for e in range(1, 13):
            entries[f"Shows/Show One (2008)/Season {s:02}/Show One - S{s:02}E{e:02}"] = ".en.srt"
    for i in range(0, 40, 2):  # extras beside the movies: trailers and featurettes
        title = f"{NAMES[i % len(NAMES)]} {i} ({1950 + i % 70})"
        entries[f"Movies/{title}/trailers/Trailer"] = ".en.srt"
        entries[f"Movies/{title}/extras/Making of {title}"] = ".eng.srt"
    return entries


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("biglib")
    audio, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, tail=0.3)  # ~3 s of speech
    clip = demo.make_movie(work / "clip.mkv", [{"audio": audio, "language": "eng"}])
    embedded = with_subtitle(clip, work / "embedded.mkv", "eng", forced=False)
    lib = work / "Library"
    skipped = layout()
    for entry, has in {**skipped, **TODO}.items():
        movie = lib / f"{entry}.mkv"
        movie.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(embedded if has == "embedded" else clip, movie)
        if has.startswith("."):
            movie.with_name(movie.stem + has).write_text(SRT)
    for d in {(lib / e).parent for e in list(skipped)[::9]}:  # read-only folders and files
        for p in (p for p in d.iterdir() if p.is_file()):
            p.chmod(stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
        d.chmod(0o555)
    read_only = lib / f"{next(iter(TODO))}.mkv"
    read_only.chmod(0o444)  # a movie still to do whose file is read-only
    before = checksums(lib)
    config = work / "library.yaml"
    config.write_text(f"input_dir: {lib}\noutput_dir: {work / 'out'}\n")
    args = ("--configfile", str(config))
    proc = run_snakemake(work, *args, library=True)
    yield {"work": work, "lib": lib, "out": work / "out", "proc": proc, "args": args,
           "before": before, "skipped": skipped}  # fmt: skip
    for d in (lib / e for e in skipped):  # let pytest remove it
        d.parent.chmod(0o755)


def manifest(run, name: str) -> dict:
    return json.loads((run["out"] / name / "manifest.json").read_text(encoding="utf-8"))


def test_the_library_is_big_and_the_run_succeeds(run):
    assert len(run["skipped"]) + len(TODO) >= 200
    assert run["proc"].returncode == 0, run["proc"].stderr[-3000:]
    assert "Traceback" not in run["proc"].stderr


def test_nothing_changed_and_each_movie_without_english_got_one_sidecar(run):
    after = checksums(run["lib"])
    assert {f: after.get(f) for f in run["before"]} == run["before"]
    assert sorted(f for f in after if f not in run["before"]) == sorted(f"{e}.en.srt" for e in TODO)
    for entry in TODO:
        assert "morning" in (run["lib"] / f"{entry}.en.srt").read_text(encoding="utf-8").lower()
        assert manifest(run, entry)["pipeline"]["status"] == "completed", entry


def test_each_movie_with_english_is_skipped_with_its_reason(run):
    for entry, has in run["skipped"].items():
        note = manifest(run, entry)["pipeline"]["note"]
        name = Path(entry).name
        if has == "embedded":
            want = "a subtitle in English is in the file: stream #2 (eng, subrip)"
        else:
            want = f"a subtitle in English is beside it: {name}{has}"
        assert note == f"skipped: {want} (existing: skip)", entry


def test_no_video_copied_and_out_stays_small(run):
    out = run["out"]
    assert not [p for p in out.rglob("*") if p.suffix in (".mkv", ".mp4", ".wav")]
    for entry in TODO:
        size = sum(p.stat().st_size for p in (out / entry).rglob("*") if p.is_file())
        assert size < 1_000_000, (entry, size)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert total < 1_000_000 * len(TODO) + 20_000 * len(run["skipped"]), total


def test_a_second_dry_run_plans_nothing(run):
    dry = run_snakemake(run["work"], "--dry-run", *run["args"], library=True)
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert "Nothing to be done" in dry.stdout + dry.stderr, (dry.stdout + dry.stderr)[-3000:]


def test_read_only_entries_were_there(run):
    """The layout has what it claims: read-only folders and files, odd names."""
    modes = [os.stat(run["lib"] / e).st_mode for e in {Path(e).parent for e in run["skipped"]}]
    assert sum(not m & stat.S_IWUSR for m in modes) >= 10
    names = "".join(run["skipped"])
    assert all(c in names for c in "'\" é生Ø&")
