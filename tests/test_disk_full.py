"""A full disk anywhere: in mux, in the manifest writer, in a whole run.

Each test mounts a small tmpfs (root only; skipped otherwise, with the reason).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_snakemake
from subsmith import demo
from subsmith.core import diskspace as preflight
from subsmith.core.errors import StageError
from subsmith.core.jsonio import write_json_atomic
from subsmith.harness import manifest, status
from subsmith.media import mux as mux_module

LOG = logging.getLogger("test")


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of the size asked for; unmounted at the end."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a small tmpfs needs root")
        d = tmp_path / f"disk{len(mounted)}"
        d.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(d)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(d)
        return d

    yield mount
    for d in mounted:
        subprocess.run(["umount", str(d)], check=False)
        if os.path.ismount(d):
            subprocess.run(["umount", "-l", str(d)], check=False)


def fill(disk: Path) -> None:
    """Take every free byte of the disk."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(fd)


def big_movie(path: Path, seconds_of_speech: int = 1) -> Path:
    """A movie with speech and a noisy picture (~1.7 MB: it does not compress)."""
    audio, _ = demo.dialogue(demo.DIALOGUE[:seconds_of_speech], lead_in=0.3, tail=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    wav = path.with_name(".speech.wav")
    demo.write_wav(wav, audio)
    seconds = len(audio) / demo.RATE
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
        + ["-f", "lavfi", "-i", f"nullsrc=s=320x240:r=25:d={seconds},geq=random(1)*255:128:128"]
        + ["-i", str(wav), "-c:v", "mpeg4", "-b:v", "4M", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )
    wav.unlink()
    return path


def test_mux_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, small_disk, monkeypatch):
    """The disk fills while muxing (the free-space check before it was fooled: another
    writer, an estimate short of the truth)."""
    src = big_movie(tmp_path / "Big.mkv")
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:01,500\nHello.\n\n")
    disk = small_disk("256k")
    monkeypatch.setattr(preflight, "free_bytes", lambda folder: 10**12)
    with pytest.raises(StageError) as err:
        mux_module.mux(
            src,
            srt,
            disk / "final.mkv",
            language="en",
            title="t",
            default=True,
            forced=False,
            log=LOG,
        )
    line = str(err.value)
    assert "no space left on device while muxing" in line and "\n" not in line
    assert str(disk / "final.mkv") in line and "Big.mkv" in line
    assert list(disk.iterdir()) == []  # no partial final.mkv, no temp folder


def test_the_manifest_writer_on_a_full_disk_says_one_line(tmp_path, small_disk, capfd):
    disk = small_disk("64k")
    movie = disk / "Movie"
    status.start(status.status_path(movie, "demux"), "demux", inputs=["in/M.mkv"], timeout=9)
    manifest.write(movie)
    before = (movie / "manifest.json").read_text()
    fill(disk)
    with pytest.raises(OSError):  # the disk is really full
        write_json_atomic(disk / "probe.json", {"x": "y" * 10000})
    manifest.write(movie, manifest.FINISHED)  # no exception
    manifest.close_interrupted(movie)  # no exception
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 2, err  # one per file, however often it is tried
    assert f"subsmith: cannot write {movie / 'manifest.json'} (No space left on device)" in err
    assert "Traceback" not in err
    assert (movie / "manifest.json").read_text() == before  # the last one, whole
    assert not [p for p in movie.iterdir() if p.name.startswith(".tmp-")]
    (disk / "filler").unlink()  # room again: the next render catches up
    assert manifest.write(movie, manifest.FINISHED)["pipeline"]["status"] == "failed"
    assert json.loads((movie / "manifest.json").read_text())["pipeline"]["status"] == "failed"


@pytest.mark.e2e
def test_a_run_whose_mux_fills_the_disk(tmp_path, small_disk):
    big_movie(tmp_path / "in" / "Big.mkv")
    disk = small_disk("640k")  # room for the wav, the JSON and the logs, not final.mkv
    out = disk / "out"
    proc = run_snakemake(tmp_path, "--config", f"output_dir={out}")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Errno 28" not in proc.stderr
    m = json.loads((out / "Big" / "manifest.json").read_text())
    steps = m["pipeline"]["steps"]
    assert m["pipeline"]["status"] == "failed" and m["pipeline"]["current_stage"] is None
    error = steps["mux"]["error"]
    assert steps.pop("mux")["status"] == "failed"
    assert all(v["completed"] for v in steps.values())  # every stage before it
    # The free-space check before mux says it, before ffmpeg writes a byte.
    size = preflight.size_text((tmp_path / "in" / "Big.mkv").stat().st_size * 1.02)
    assert f"{out / 'Big'}: " in error and "\n" not in error
    assert f"free, about {size} needed for final.mkv, a copy of Big.mkv; free some" in error
    assert f"subsmith mux failed: {error}" in proc.stderr
    assert not (out / "Big" / "final.mkv").exists()
    assert not [p for p in (out / "Big").iterdir() if p.name.startswith(".mux-")]
    # `subsmith status --watch` ends: nothing is running.
    watch = subprocess.run(
        [str(Path(os.sys.executable).parent / "subsmith"), "status", "--watch", "0.1", str(out)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert watch.returncode == 1 and "failed" in watch.stdout
