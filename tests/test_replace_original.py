"""publish.replace_original (issue 31): the movie itself replaced by the muxed file, only
on request, verified packet for packet, atomically, timestamps kept; and under kill -9
at any of its steps, the movie's name holds the original or the verified new file,
never neither and never a partial file, and the next run sweeps the temp file."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_faults import fault_env

from conftest import REPO, read_manifest, run_snakemake, snakemake_cmd
from subsmith import demo
from subsmith.core.errors import StageError
from subsmith.harness import library, replace
from subsmith.media import probe as media

SRT = "1\n00:00:00,500 --> 00:00:02,000\nHello there.\n"
POINTS = ("mux", "verify", "before_rename", "after_rename")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def streams(path: Path) -> int:
    return len(media.probe(path)["streams"])


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    audio, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, tail=0.3)
    d = tmp_path_factory.mktemp("clip")
    return demo.make_movie(d / "clip.mkv", [{"audio": audio, "language": "eng"}])


def args(srt: Path) -> dict:
    return dict(
        srt=srt,
        language="en",
        title="English (subsmith)",
        default=True,
        forced=False,
        log=logging.getLogger("test"),
    )


def test_the_movie_is_replaced_verified_with_its_timestamps_once(clip, tmp_path):
    movie = tmp_path / "lib" / "Film.mkv"
    movie.parent.mkdir()
    shutil.copyfile(clip, movie)
    os.utime(movie, ns=(1_500_000_000_000_000_000, 1_600_000_000_000_000_000))
    original = library.identity(movie)
    srt, out = tmp_path / "Film.en.srt", tmp_path / "out"
    srt.write_text(SRT)
    a = args(srt)
    done = replace.replace_original(movie, a.pop("srt"), out, **a)
    assert done["replaced"], done
    st = os.stat(movie)
    assert (st.st_atime_ns, st.st_mtime_ns) == (
        1_500_000_000_000_000_000,
        1_600_000_000_000_000_000,
    )
    assert streams(movie) == streams(clip) + 1
    replace.verify(clip, movie)  # every original packet is there
    assert sorted(os.listdir(movie.parent)) == ["Film.mkv"]  # no temp left
    assert replace.identity(out, movie) == original  # demux sees the same input
    ledger = json.loads((out / replace.LEDGER).read_text())
    assert ledger["replacing"] is None and str(movie) in ledger["replaced"]
    again = replace.replace_original(movie, srt, out, **a)  # a rerun adds no second track
    assert not again["replaced"] and "already subsmith's" in again["note"]
    assert streams(movie) == streams(clip) + 1


def test_verify_refuses_a_copy_whose_packets_differ(clip, tmp_path):
    other = tmp_path / "other.mkv"
    audio, _ = demo.dialogue(demo.DIALOGUE[1:2], lead_in=0.3, tail=0.3)
    demo.make_movie(other, [{"audio": audio, "language": "eng"}])
    with pytest.raises(StageError, match="its streams differ"):
        replace.verify(clip, other)


def test_hashing_a_damaged_movie_never_stalls_on_ffmpegs_complaints(tmp_path):
    # A 15-minute Matroska file with a byte changed every 256: ffmpeg's copy to
    # framemd5 writes more than a pipe holds (64 KiB) to stderr; read only after
    # stdout, that deadlocked the verification (seen: it never returned).
    good, bad = tmp_path / "long.mkv", tmp_path / "damaged.mkv"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error",
                    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-f", "lavfi", "-i", "sine",
                    "-t", "900", "-c:v", "mpeg2video", "-c:a", "mp2", f"file:{good}"],
                   check=True)  # fmt: skip
    data = bytearray(good.read_bytes())
    for i in range(4096, len(data), 256):
        data[i] ^= 0x5A
    bad.write_bytes(bytes(data))
    said = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f"file:{bad}",
                           "-map", "0:0", "-map", "0:1", "-c", "copy", "-f", "framemd5", "-"],
                          capture_output=True, timeout=120)  # fmt: skip
    assert len(said.stderr) > 64 * 1024  # the premise: more than a pipe holds
    # In a child with a deadline: a stall must fail the test, not hang the suite.
    code = "import sys; from subsmith.harness import replace; print(replace.track_hashes(sys.argv[1], [0, 1]))"
    done = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 64  # a sha256


def test_only_a_matroska_movie_is_replaced(clip, tmp_path):
    movie = tmp_path / "Film.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f"file:{clip}", "-c", "copy",
                    f"file:{movie}"], check=True)  # fmt: skip
    before = sha(movie)
    srt = tmp_path / "s.srt"
    srt.write_text(SRT)
    a = args(srt)
    done = replace.replace_original(movie, a.pop("srt"), tmp_path / "out", **a)
    assert not done["replaced"] and "only a Matroska" in done["note"] and sha(movie) == before


# ---------------------------------------------------------------- through the workflow


def movie(point: str) -> str:
    return f"Movies/Film {point} (2001)/Film {point} (2001).mkv"


@pytest.fixture(scope="module")
def work(tmp_path_factory, clip):
    """A library of one movie per kill point, run up to its subtitle."""
    work = tmp_path_factory.mktemp("replace")
    for point in POINTS:
        path = work / movie(point)
        path.parent.mkdir(parents=True)
        shutil.copyfile(clip, path)
        os.utime(path, ns=(1_500_000_000_000_000_000, 1_600_000_000_000_000_000))
    (work / "library.yaml").write_text(
        "input_dir: Movies\noutput_dir: out\npublish:\n  replace_original: true\n"
        "keep_work_files: true\n"  # the report, run last, reads the audio: not demuxed again
    )
    targets = [f"out/{Path(movie(p)).parent.name}/{Path(movie(p)).stem}/{Path(movie(p)).stem}.en.srt"
               for p in POINTS]  # fmt: skip
    proc = run_snakemake(work, *targets, "--configfile", "library.yaml", library=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def invariant(work: Path, clip: Path, point: str) -> str:
    """The movie's name holds the original or the verified new file: which one."""
    path = work / movie(point)
    assert path.is_file(), "neither: the movie is gone"
    if sha(path) == sha(clip):
        return "original"
    replace.verify(clip, path)  # a partial or wrong file raises
    assert streams(path) == streams(clip) + 1
    return "new"


def test_kill_9_at_each_point_leaves_the_original_or_the_new_file(work, clip):
    for point in POINTS:
        name = Path(movie(point)).stem
        record = f"out/{name}/{name}/published.json"
        cmd = snakemake_cmd(work, record, "--configfile", "library.yaml", library=True)
        killed = subprocess.run(cmd, cwd=work, env=fault_env(f"replace:{point}"),
                                capture_output=True, text=True, timeout=600)  # fmt: skip
        assert killed.returncode != 0, (point, killed.stderr[-2000:])
        assert invariant(work, clip, point) == ("new" if point == "after_rename" else "original")
        folder = (work / movie(point)).parent
        temps = [n for n in os.listdir(folder) if n.startswith(replace.TMP_PREFIX)]
        assert len(temps) == (0 if point == "after_rename" else 1), (point, temps)


def test_the_next_run_sweeps_the_temp_files_and_replaces_each_movie_once(work, clip):
    again = run_snakemake(work, "--configfile", "library.yaml", library=True)
    assert again.returncode == 0, again.stderr[-3000:]
    for point in POINTS:
        name = Path(movie(point)).stem
        assert invariant(work, clip, point) == "new", point  # one new track, not two
        folder = (work / movie(point)).parent
        assert sorted(os.listdir(folder)) == [f"{name}.en.srt", f"{name}.mkv"], point
        assert os.stat(work / movie(point)).st_mtime_ns == 1_600_000_000_000_000_000
        m = read_manifest(work, f"{name}/{name}")
        assert m["pipeline"]["status"] == "completed", m["pipeline"]
        # The replaced movie is the same input: demux is not redone for it.
        assert m["pipeline"]["steps"]["demux"]["runs"] == 1, point
        assert "replaced" not in m["input"], m["input"]
        ledger = json.loads((work / "out" / name / name / replace.LEDGER).read_text())
        assert ledger["replacing"] is None, point
        assert list(ledger["replaced"]) == [str(work / movie(point))], point
        assert ledger["sidecars"], point  # the sidecar's record is kept beside it
    dry = run_snakemake(work, "--dry-run", "--configfile", "library.yaml", library=True)
    assert "Nothing to be done" in dry.stdout + dry.stderr, (dry.stdout + dry.stderr)[-2000:]
