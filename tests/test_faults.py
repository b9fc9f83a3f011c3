"""Fault injection: the real Snakemake workflow (CLI) under crashes, hangs, bad inputs,
hostile names, a crowd of movies, a second run and secrets in the environment.

What each test tried and what held is summed up in tests/README.md. Faults inside a
stage job are injected by tests/fault_hooks/sitecustomize.py (on PYTHONPATH for that
run only, selected by SUBSMITH_FAULT); nothing in the product knows about it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import psutil
import pytest
import srt
from fake_tmdb import FakeTmdb

from conftest import env, read_manifest, run_snakemake, snakemake_cmd
from subsmith import demo
from subsmith.harness import manifest, status
from subsmith.harness.stages import BY_NAME, STAGE_NAMES
from subsmith.media import probe as media
from subsmith.media.audio import wav_duration

pytestmark = pytest.mark.e2e

HOOKS = Path(__file__).resolve().parent / "fault_hooks"
SECRETS = ("TMDB_API_KEY", "TMDB_TOKEN", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


# ---------------------------------------------------------------- helpers


def fault_env(fault: str | None = None, **extra: str) -> dict[str, str]:
    """env() plus, for one run, the fault hook: "<stage>:hold" or "<stage>:hang"."""
    e = env()
    e["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOKS), e.get("PYTHONPATH")) if p)
    if fault:
        e["SUBSMITH_FAULT"] = fault
    e.update(extra)
    return e


def wait_for(pred, timeout: float, what: str, every: float = 0.02) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def gone(pid: int) -> bool:
    """Dead or a zombie (nothing left running)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def kill_group(pgid: int | None) -> None:
    if pgid:
        try:
            os.killpg(pgid, 9)
        except (ProcessLookupError, PermissionError):
            pass


class ManifestReader:
    """Reads every out/*/manifest.json in a tight loop: each read must be valid JSON."""

    def __init__(self, out: Path) -> None:
        self.out, self.reads, self.bad = out, 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            # os.walk, not glob: a temp folder that vanishes mid-scan is no error.
            for m in [d / "manifest.json" for d in manifest.movie_dirs(self.out)]:
                try:
                    text = m.read_text(encoding="utf-8")
                except (FileNotFoundError, UnicodeDecodeError) as exc:
                    if not isinstance(exc, FileNotFoundError):
                        self.bad.append(f"{m}: {exc}")
                    continue
                try:
                    json.loads(text)
                    self.reads += 1
                except ValueError as exc:
                    self.bad.append(f"{m}: {exc}")
            time.sleep(0.005)

    def __enter__(self) -> ManifestReader:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def ffmpeg_decode_errors(path: Path) -> str:
    """ffmpeg's complaints when decoding the whole file ('' for a sound file)."""
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", f"file:{path}", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr.strip()


def pad(audio: np.ndarray, before: float, total: float | None = None) -> np.ndarray:
    head = np.zeros(int(before * demo.RATE), np.float32)
    out = np.concatenate([head, audio])
    if total is not None:
        out = np.concatenate([out, np.zeros(max(0, int(total * demo.RATE) - len(out)), np.float32)])
    return out


@pytest.fixture(scope="session")
def clip():
    """About 2.5 s: one short spoken line ("Good morning, Captain.")."""
    speech = demo.trim(demo.speak("Good morning, Captain."))
    return pad(speech, 0.25, len(speech) / demo.RATE + 0.5)


@pytest.fixture(scope="session")
def clip_movie(tmp_path_factory, clip):
    """One short movie file, copied wherever a test needs a good movie."""
    return demo.make_movie(tmp_path_factory.mktemp("clip") / "clip.mkv", [{"audio": clip}])


def chord(seconds: float) -> np.ndarray:
    """Music without speech: a C major chord with a slow swell."""
    t = np.arange(int(seconds * demo.RATE)) / demo.RATE
    notes = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0, 523.2))
    return (notes * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))).astype(np.float32)


# ------------------------------------------------- crash and resume, each stage


# The critical stages, each a whole run. The optional ones (tmdb) go through the same
# run_stage and rerun-incomplete path and run beside the chain, not in it, so where they
# stand at the kill depends on timing: they are checked as done-once-or-redone below.
CRITICAL = tuple(s for s in STAGE_NAMES if BY_NAME[s].critical)


@pytest.mark.parametrize("stage", CRITICAL)
def test_kill_9_of_the_whole_run_during_each_stage_then_resume(tmp_path, clip_movie, stage):
    """kill -9 of snakemake and of the running job while `stage` is running.

    The hook lets the stage write its outputs, cuts the first one in half (what a
    writer killed mid-file leaves) and holds there, status `running`: the most
    treacherous moment, since a complete-looking, newer-than-its-inputs file is on disk.
    """
    movie = "Power Cut"
    (tmp_path / "in").mkdir()
    shutil.copy(clip_movie, tmp_path / "in" / f"{movie}.mkv")
    mdir = tmp_path / "out" / movie
    sf = mdir / ".status" / f"{stage}.json"
    i = CRITICAL.index(stage)
    # The speaker stages run only where they are the stage under test.
    extra = ()
    if stage == "pyannote_vad":
        (tmp_path / "pv.yaml").write_text("pyannote_vad:\n  enabled: true\n")
        extra = ("--configfile", str(tmp_path / "pv.yaml"))
    speakers = stage == "diarization"
    with ManifestReader(tmp_path / "out") as reader:
        proc = subprocess.Popen(
            snakemake_cmd(tmp_path, *extra, speakers=speakers),
            cwd=tmp_path,
            env=fault_env(f"{stage}:hold"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        job_pid = None
        try:
            wait_for(lambda: (status.read_status(sf) or {}).get("fault_held"), 180, stage)
            held = status.read_status(sf)
            job_pid = held["pid"]
            assert os.getpgid(job_pid) == job_pid  # the job leads its own group
            # The whole run dies at once, as in a power cut.
        finally:
            kill_group(proc.pid)
            kill_group(job_pid)
            proc.wait()
        wait_for(lambda: gone(job_pid), 10, "the killed job to be gone")

        m = read_manifest(tmp_path, movie)  # valid JSON right after the kill
        assert m["pipeline"]["steps"][stage]["status"] == "running"
        # Each critical stage before this one has its own outcome recorded, and is
        # completed: an optional stage beside the chain still queued (pre_ner waiting for
        # a core while diarization holds both) does not make the others outdated.
        outcome = m["pipeline"]["steps"]
        done = [s for s in CRITICAL if outcome[s]["status"] in ("success", "skipped")]
        assert done == list(CRITICAL[:i])
        done = m["pipeline"]["completed_stages"]
        assert [s for s in done if s in CRITICAL] == list(CRITICAL[:i])

        unlock = run_snakemake(tmp_path, "--unlock", *extra, speakers=speakers)
        assert unlock.returncode == 0, unlock.stderr[-2000:]
        rerun = run_snakemake(tmp_path, *extra, speakers=speakers)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert reader.bad == [] and reader.reads > 0

    m = read_manifest(tmp_path, movie)
    assert m["pipeline"]["status"] == "completed"
    steps = m["pipeline"]["steps"]
    assert [steps[s]["runs"] for s in CRITICAL] == [1] * i + [2] + [1] * (len(CRITICAL) - 1 - i)
    # diarization runs only where it is the stage under test; elsewhere it is turned off
    # (tests/speakers_off.yaml) and so recorded skipped.
    want = {s: "success" if speakers or s != "diarization" else "skipped" for s in CRITICAL}
    assert {s: steps[s]["status"] for s in CRITICAL} == want
    for s in set(STAGE_NAMES) - set(CRITICAL):
        assert steps[s]["status"] in status.DONE and steps[s]["runs"] in (1, 2), s
    assert "interrupted" in steps[stage]["previous"][-1]["error"]

    # No partial output: every product is whole again.
    facts = json.loads((mdir / "media.json").read_text())
    wav = mdir / "audio" / "audio.wav"
    assert wav.stat().st_size >= 44 + 2 * demo.RATE * facts["wav"]["duration"] - 4
    assert abs(wav_duration(wav) - facts["wav"]["duration"]) < 0.01
    assert json.loads((mdir / "vad" / "silero_segments.json").read_text())["speech"]
    assert json.loads((mdir / "asr" / "transcript.json").read_text())["segments"]
    cues = list(srt.parse((mdir / f"{movie}.en.srt").read_text(), ignore_errors=False))
    assert cues and "captain" in cues[-1].content.lower()
    final = mdir / "final.mkv"
    kinds = [s["codec_type"] for s in media.probe(final)["streams"]]
    assert kinds == ["video", "audio", "subtitle"]
    assert ffmpeg_decode_errors(final) == ""
    assert not list(mdir.rglob(".tmp-*"))


# ---------------------------------------------------------------- hangs


def test_a_hung_stage_is_stopped_with_its_whole_process_tree(tmp_path, clip_movie):
    """demux hangs with a child, a child that ignores SIGTERM (and its own child) and a
    grandchild that escaped into another session; the timeout must stop all of it."""
    (tmp_path / "in").mkdir()
    shutil.copy(clip_movie, tmp_path / "in" / "Hang.mkv")
    (tmp_path / "t.yaml").write_text("timeouts:\n  demux: 3\n")
    sf = tmp_path / "out" / "Hang" / ".status" / "demux.json"
    proc = subprocess.Popen(
        snakemake_cmd(tmp_path, "--configfile", str(tmp_path / "t.yaml")),
        cwd=tmp_path,
        env=fault_env("demux:hang"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    tree: set[int] = set()
    try:
        wait_for(lambda: (status.read_status(sf) or {}).get("fault_tree"), 120, "the hang")
        st = status.read_status(sf)
        job = psutil.Process(st["pid"])
        tree = {job.pid} | {p.pid for p in job.children(recursive=True)}
        assert set(st["fault_tree"]) <= tree
        escaped = st["fault_tree"][-1]
        assert os.getsid(escaped) != os.getsid(job.pid)  # really outside the job's session
        out, _ = proc.communicate(timeout=120)
    finally:
        kill_group(proc.pid)
        proc.wait()
    assert proc.returncode != 0
    # The watchdog TERMs, waits its grace period (the stubborn child), then KILLs.
    wait_for(lambda: all(gone(p) for p in tree), 30, "the job's process tree to be gone", 0.2)
    m = read_manifest(tmp_path, "Hang")
    demux = m["pipeline"]["steps"]["demux"]
    assert demux["status"] == "failed"
    assert demux["error"].startswith("timed out after 3 s")
    assert m["pipeline"]["status"] == "failed"
    assert "subsmith demux failed: timed out after 3 s" in out


OPTIONAL_JOB = textwrap.dedent(
    """
    import sys, time
    from types import SimpleNamespace
    from subsmith.harness import status
    from subsmith.harness.job import run_stage
    from sitecustomize import spawn_tree

    d = sys.argv[1]
    log = SimpleNamespace(log=d + "/logs/opt.log", status=d + "/.status/opt.json")
    smk = SimpleNamespace(
        input=[], output=[d + "/out/opt.json"], log=log,
        params=SimpleNamespace(timeout=2.0), threads=1, config={}, wildcards={"movie": "M"},
    )

    def body(ctx):
        status.update(ctx.status_file, fault_tree=spawn_tree())
        time.sleep(600)

    run_stage(smk, "opt", body, critical=False)
    """
)


def test_an_optional_stage_past_its_timeout_is_skipped_and_its_tree_stopped(tmp_path):
    """The optional path driven at the job level (subsmith.harness.job.run_stage, as the stage
    scripts call it), with a stage that hangs on purpose: no optional workflow stage
    (tmdb) can be made to hang without a fault hook of its own."""
    (tmp_path / "out").mkdir()
    sf = tmp_path / ".status" / "opt.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", OPTIONAL_JOB, str(tmp_path)], env=fault_env(), cwd=tmp_path
    )
    tree: set[int] = set()
    try:
        wait_for(lambda: (status.read_status(sf) or {}).get("fault_tree"), 60, "the hang")
        job = psutil.Process(proc.pid)
        tree = {p.pid for p in job.children(recursive=True)}
        assert set(status.read_status(sf)["fault_tree"]) <= tree
        assert proc.wait(timeout=60) == 0  # an optional stage does not fail the job
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    wait_for(lambda: all(gone(p) for p in tree), 30, "the job's process tree to be gone", 0.2)
    st = status.read_status(sf)
    assert st["status"] == "skipped" and st["error"] is None
    assert "timed out after 2 s" in st["notes"]
    placeholder = json.loads((tmp_path / "out" / "opt.json").read_text())
    assert placeholder["status"] == "skipped"


# ---------------------------------------------------------------- bad inputs

# movie -> (stage that fails, what its one-line error says). The text file named .mkv
# is tests/test_workflow.py::test_corrupt_input_fails_alone_with_keep_going.
BAD = {
    "empty": ("demux", "the file is empty (0 bytes)"),
    "truncated": ("demux", "the file looks truncated"),
    "video only": ("demux", "the movie has no audio stream"),
    "odd codec": ("demux", "cannot decode audio stream #1"),
}
GOOD_ONES = ("Good Movie", "Two Seconds")


@pytest.fixture(scope="module")
def bad_library(tmp_path_factory, short_dialogue, clip):
    work = tmp_path_factory.mktemp("bad")
    lib = work / "in"
    audio, _ = short_dialogue
    demo.make_movie(lib / "Good Movie.mkv", [{"audio": audio}])
    # Decision: a 2-second movie with speech in it is a movie; it gets subtitles.
    speech = demo.trim(demo.speak("Good morning.", speed=170))
    assert len(speech) < 1.8 * demo.RATE
    demo.make_movie(lib / "Two Seconds.mkv", [{"audio": pad(speech, 0.1, 2.0)}])
    (lib / "empty.mkv").write_bytes(b"")
    tmp = work / "src"
    whole = demo.make_movie(tmp / "whole.mkv", [{"audio": np.concatenate([clip] * 9)}])
    data = whole.read_bytes()
    (lib / "truncated.mkv").write_bytes(data[: len(data) // 3])
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=24:duration=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            f"file:{lib / 'video only.mkv'}",
        ],
        check=True,
    )
    # An audio codec ffmpeg has no decoder for: a PCM track whose Matroska CodecID is
    # renamed (same length, so the file stays well formed). ffprobe reports the stream
    # as audio of an unknown codec, as it does for a real exotic codec.
    pcm = demo.make_movie(tmp / "pcm.mkv", [{"audio": clip}], audio_codec="pcm_s16le")
    raw = pcm.read_bytes()
    assert raw.count(b"A_PCM/INT/LIT") == 1
    (lib / "odd codec.mkv").write_bytes(raw.replace(b"A_PCM/INT/LIT", b"A_QQQ/INT/LIT"))
    demo.make_movie(lib / "music only.mkv", [{"audio": chord(4.0)}])
    shutil.rmtree(tmp)
    proc = run_snakemake(work, "--keep-going")
    return {"work": work, "proc": proc, "out": proc.stdout + proc.stderr}


def test_bad_inputs_fail_alone_and_good_movies_finish(bad_library):
    work = bad_library["work"]
    assert bad_library["proc"].returncode != 0
    for movie in GOOD_ONES:
        m = read_manifest(work, movie)
        assert m["pipeline"]["status"] == "completed", (movie, m["pipeline"])
        streams = media.probe(work / "out" / movie / "final.mkv")["streams"]
        assert [s["codec_type"] for s in streams] == ["video", "audio", "subtitle"]
    assert "morning" in (work / "out" / "Two Seconds" / "Two Seconds.en.srt").read_text().lower()
    # Music only is not a bad input (issue 22): it completes without a subtitle track.
    m = read_manifest(work, "music only")
    assert (m["pipeline"]["status"], m["pipeline"]["note"]) == ("completed", manifest.NO_SPEECH)
    streams = media.probe(work / "out" / "music only" / "final.mkv")["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio"]


@pytest.mark.parametrize("movie", sorted(BAD))
def test_each_bad_input_is_one_line_naming_the_file(bad_library, movie):
    work, out = bad_library["work"], bad_library["out"]
    stage, message = BAD[movie]
    m = read_manifest(work, movie)
    assert m["pipeline"]["status"] == "failed"
    assert m["pipeline"]["next_stage"] == stage
    error = m["pipeline"]["steps"][stage]["error"]
    assert message in error and "\n" not in error
    assert movie in error  # the file: in/<movie>.mkv, or out/<movie>/audio/audio.wav
    if stage == "demux":
        assert error.startswith(f"in/{movie}.mkv: ")
    assert f"subsmith {stage} failed: {error}" in out
    for later in STAGE_NAMES[STAGE_NAMES.index(stage) + 1 :]:
        if BY_NAME[later].critical:  # an optional one (tmdb) does not wait for demux
            assert m["pipeline"]["steps"][later]["status"] == "pending"
    assert not (work / "out" / movie / "final.mkv").exists()


def test_unknown_audio_codec_is_named_as_such(bad_library):
    error = read_manifest(bad_library["work"], "odd codec")["pipeline"]["steps"]["demux"]["error"]
    assert "unknown codec" in error and "Decoder (codec none) not found" in error


# ------------------------------------------------- unreadable input, full disk, config


def _as_nobody(cmd: list[str]) -> list[str]:
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", *cmd]


def test_unreadable_input_folder_is_one_line_before_anything_runs(clip_movie):
    """As root, permissions do not bite: snakemake runs as `nobody` (setpriv)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run snakemake as another user")
    work = Path(tempfile.mkdtemp(prefix="subsmith-nobody-"))  # /tmp: nobody can reach it
    try:
        os.chmod(work, 0o755)
        locked = work / "in" / "locked"
        locked.mkdir(parents=True)
        shutil.copy(clip_movie, locked / "Hidden.mkv")
        for p in (work, work / "in", locked, locked / "Hidden.mkv"):
            os.chown(p, 65534, 65534)
        e = env()
        e.update(HOME=str(work), XDG_CACHE_HOME=str(work / ".cache"))
        probe = subprocess.run(_as_nobody([sys.executable, "-c", "import subsmith"]), env=e)
        if probe.returncode != 0:
            pytest.skip("the venv's python cannot run as nobody on this machine")
        cases = {
            work / "in": "in: the input folder is not readable; fix its permissions",
            locked: "in/locked: cannot read this folder of the library (Permission denied)",
        }
        for folder, message in cases.items():
            os.chmod(work / "in", 0o755)
            os.chmod(locked, 0o755)
            os.chmod(folder, 0o000)
            proc = subprocess.run(
                _as_nobody(snakemake_cmd(work)),
                cwd=work,
                env=e,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode != 0
            assert message in proc.stderr, proc.stderr[-2000:]
            assert not (work / "out").exists()
    finally:
        for p in (work / "in", work / "in" / "locked"):
            if p.exists():
                os.chmod(p, 0o755)
        shutil.rmtree(work, ignore_errors=True)


def test_output_folder_on_a_full_disk_fails_clearly(tmp_path, short_dialogue):
    audio, _ = short_dialogue  # its 16 kHz wav (~310 kB) does not fit in 192 kB
    demo.make_movie(tmp_path / "in" / "Big.mkv", [{"audio": audio}])
    small = tmp_path / "small"
    small.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k,mode=0755", "tmpfs", str(small)],
        capture_output=True,
        text=True,
    )
    if mnt.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mnt.stderr.strip()}")
    try:
        out = small / "out"
        proc = run_snakemake(tmp_path, "--config", f"output_dir={out}")
        assert proc.returncode != 0
        m = json.loads((out / "Big" / "manifest.json").read_text())
        assert m["pipeline"]["status"] == "failed"
        error = m["pipeline"]["steps"]["demux"]["error"]
        # The free-space check per movie (issue 31) says it before ffmpeg writes a byte.
        assert "free some space or set output_dir to a bigger disk" in error
        assert "\n" not in error and "needed for the audio of Big.mkv" in error
        assert str(out / "Big" / "audio") in error
        assert "re-rip" not in error  # the movie is fine; the disk is not
        assert f"subsmith demux failed: {error}" in proc.stderr
        assert not (out / "Big" / "audio" / "audio.wav").exists()
    finally:
        subprocess.run(["umount", str(small)], check=False)
        if os.path.ismount(small):
            subprocess.run(["umount", "-l", str(small)], check=False)


def test_config_value_of_the_wrong_type_stops_before_anything_runs(tmp_path, clip_movie):
    (tmp_path / "in").mkdir()
    shutil.copy(clip_movie, tmp_path / "in" / "Any.mkv")
    (tmp_path / "bad.yaml").write_text("silero_vad:\n  threshold: loud\n")
    proc = run_snakemake(tmp_path, "--configfile", str(tmp_path / "bad.yaml"))
    assert proc.returncode != 0
    assert (
        "subsmith: config `silero_vad.threshold`: expected a number between 0 and 1 "
        "(neither included), got 'loud'"
    ) in proc.stderr.splitlines()
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- hostile names

HOSTILE_NAMES = (
    'new\nline $(touch pwned) `touch pwned` it\'s "q"; ü 日本',
    "-dash  'single';  $(touch pwned) `touch pwned` Amélie 🎬 (2010)",
)


def test_hostile_names_run_and_execute_nothing(tmp_path, clip_movie):
    for i, name in enumerate(HOSTILE_NAMES):
        folder = tmp_path / "in" / ("sub $(touch pwned)" if i else "")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip_movie, folder / f"{name}.mkv")
    proc = run_snakemake(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for i, name in enumerate(HOSTILE_NAMES):
        movie = f"sub $(touch pwned)/{name}" if i else name  # out/ mirrors in/
        m = read_manifest(tmp_path, movie)
        assert m["pipeline"]["status"] == "completed"
        assert m["input"]["path"].endswith(f"{name}.mkv")
        d = tmp_path / "out" / movie
        assert (d / f"{name}.en.srt").read_text().strip()
        streams = media.probe(d / "final.mkv")["streams"]
        assert [s["codec_type"] for s in streams] == ["video", "audio", "subtitle"]
    for root in (tmp_path, Path.cwd()):
        assert not [p for p in root.rglob("*") if p.name == "pwned"]


# ------------------------------------- a crowd of movies, a second run, secrets

CROWD_BROKEN = {"Movie 06": b"", "Movie 13": b"not a movie at all\n" * 40}


def _sample_cmdlines(stop: threading.Event, markers: list[str], seen: dict) -> None:
    while not stop.is_set():
        for p in psutil.process_iter(["cmdline"]):
            args = " ".join(p.info["cmdline"] or [])
            seen["samples"] += 1
            if ".snakemake/scripts" in args or "ffmpeg" in args:
                seen["jobs"] += 1
            for mk in markers:
                if mk in args:
                    seen["hits"].append(args)
        time.sleep(0.05)


@pytest.fixture(scope="module")
def crowd(tmp_path_factory, clip_movie):
    """20 short movies, two broken, `--cores 2 --keep-going`, with tokens in the env;
    a second snakemake is started on the same folder while the first runs."""
    work = tmp_path_factory.mktemp("crowd")
    logs = tmp_path_factory.mktemp("crowd-terminal")
    (work / "in").mkdir()
    for i in range(20):
        name = f"Movie {i:02d}"
        if name in CROWD_BROKEN:
            (work / "in" / f"{name}.mkv").write_bytes(CROWD_BROKEN[name])
        else:
            shutil.copy(clip_movie, work / "in" / f"{name}.mkv")
    secrets = {k: f"SeCrEt-{k}-{uuid.uuid4().hex}" for k in SECRETS}
    seen: dict = {"samples": 0, "jobs": 0, "hits": []}
    stop = threading.Event()
    sampler = threading.Thread(
        target=_sample_cmdlines, args=(stop, list(secrets.values()), seen), daemon=True
    )
    terminal = logs / "first.txt"
    t0 = time.monotonic()
    # The TMDB key goes out on the wire (to a fake TMDB that refuses it: a 401 for each
    # movie, the tmdb stage skipped), never to the real one.
    fake = FakeTmdb()
    (logs / "tmdb.yaml").write_text(f"tmdb:\n  api_url: {fake.url}\n")
    with fake, ManifestReader(work / "out") as reader, terminal.open("w") as fh:
        sampler.start()
        proc = subprocess.Popen(
            snakemake_cmd(work, "--keep-going", "--configfile", str(logs / "tmdb.yaml")),
            cwd=work,
            env={**env(), **secrets},
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            first = work / "out" / "Movie 00" / ".status" / "demux.json"
            wait_for(lambda: first.exists(), 120, "the first job")
            second = run_snakemake(work, "--keep-going", timeout=120)
            still_running = proc.poll() is None
            proc.wait(timeout=900)
        finally:
            kill_group(proc.pid)
            proc.wait()
            stop.set()
            sampler.join()
    return {
        "work": work,
        "rc": proc.returncode,
        "terminal": terminal.read_text(errors="replace"),
        "second": second,
        "second_while_running": still_running,
        "reader": reader,
        "secrets": secrets,
        "seen": seen,
        "seconds": time.monotonic() - t0,
        "tmdb_keys_sent": [r["query"].get("api_key") for r in fake.requests],
    }


def test_twenty_movies_two_broken_with_keep_going(crowd):
    work = crowd["work"]
    assert crowd["rc"] != 0
    movies = sorted(p.stem for p in (work / "in").iterdir())
    assert len(movies) == 20
    done = [m for m in movies if read_manifest(work, m)["pipeline"]["status"] == "completed"]
    failed = [m for m in movies if read_manifest(work, m)["pipeline"]["status"] == "failed"]
    assert failed == sorted(CROWD_BROKEN) and len(done) == 18
    for movie in movies:
        m = read_manifest(work, movie)
        steps = m["pipeline"]["steps"]
        for stage in STAGE_NAMES:
            st = status.read_status(work / "out" / movie / ".status" / f"{stage}.json")
            # The manifest says what the status files say, and each stage ran once.
            assert steps[stage]["status"] == (st["status"] if st else "pending"), (movie, stage)
            assert steps[stage]["runs"] == (1 if st else 0), (movie, stage)
        if movie in done:
            assert (work / "out" / movie / "final.mkv").exists()
        else:
            assert f"in/{movie}.mkv" in steps["demux"]["error"]
    assert crowd["reader"].bad == [] and crowd["reader"].reads > 20


def test_a_second_snakemake_on_the_same_folder_is_refused_by_the_lock(crowd):
    second = crowd["second"]
    assert crowd["second_while_running"]
    assert second.returncode != 0
    text = second.stdout + second.stderr
    assert "LockException" in text and "--unlock" in text
    # The refused run touched nothing: no stage of the live run was closed as
    # interrupted (see the runs == 1 check above), and no job of it ran.
    for sf in (crowd["work"] / "out").glob("*/.status/*.json"):
        assert "interrupted" not in ((status.read_status(sf) or {}).get("error") or "")


def test_secrets_never_leak(crowd):
    markers = list(crowd["secrets"].values())
    seen = crowd["seen"]
    assert seen["hits"] == []
    assert seen["jobs"] > 0  # the sampler did see the stage jobs' command lines
    assert (crowd["work"] / ".snakemake" / "log").is_dir()
    leaks = []
    for path in crowd["work"].rglob("*"):
        if path.is_file() and not path.is_relative_to(crowd["work"] / "in"):
            data = path.read_bytes()
            leaks += [f"{path}: {k}" for k in markers if k.encode() in data]
    assert leaks == []
    # The key did leave, to (the fake) TMDB and only there: one request per movie.
    assert crowd["tmdb_keys_sent"] == [crowd["secrets"]["TMDB_API_KEY"]] * 20
    assert not any(k in crowd["terminal"] for k in markers)
    assert not any(k in crowd["second"].stdout + crowd["second"].stderr for k in markers)
