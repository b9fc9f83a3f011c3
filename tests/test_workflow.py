"""End to end: the real Snakemake workflow (CLI) on short generated movies."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import env, read_manifest, run_snakemake, snakemake_cmd, subtitle_text
from subsmith import demo
from subsmith.harness import manifest, status
from subsmith.harness.stages import STAGE_NAMES
from subsmith.media import probe as media
from subsmith.subtitles import turns as speakers

pytestmark = pytest.mark.e2e

GOOD = "Captain's Log (2012)"
HOSTILE = '$(touch pwned) ü; "quoted"'
HOSTILE_MOVIE = f"sub dir/{HOSTILE}"  # out/ mirrors the folder under in/


def planned_jobs(output: str) -> dict[str, int]:
    """The 'Job stats' table of a (dry) run: rule -> count."""
    jobs: dict[str, int] = {}
    block = output.split("Job stats:", 1)
    if len(block) < 2:
        return jobs
    for line in block[1].splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        jobs[parts[0]] = int(parts[1])
    return jobs


def watch_manifests(out: Path, stop: threading.Event, seen: list[int], bad: list[str]) -> None:
    """Read every manifest.json in a tight loop: each read must be valid JSON."""
    while not stop.is_set():
        # os.walk, not glob: a temp folder that vanishes mid-scan is no error.
        for m in [d / "manifest.json" for d in manifest.movie_dirs(out)]:
            try:
                text = m.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            try:
                json.loads(text)
                seen.append(1)
            except ValueError as exc:
                bad.append(f"{m}: {exc}")
        time.sleep(0.005)


@pytest.fixture(scope="module")
def library(tmp_path_factory, dialogue, short_dialogue):
    """Two movies (one with a hostile name, mp4), subtitled by one real run."""
    work = tmp_path_factory.mktemp("library")
    audio, refs = dialogue
    demo.make_movie(
        work / "in" / f"{GOOD}.mkv", [{"audio": audio, "language": "eng", "default": True}]
    )
    short, short_refs = short_dialogue
    demo.make_movie(work / "in" / "sub dir" / f"{HOSTILE}.mp4", [{"audio": short}])
    stop, seen, bad = threading.Event(), [], []
    watcher = threading.Thread(target=watch_manifests, args=(work / "out", stop, seen, bad))
    watcher.start()
    try:
        proc = run_snakemake(work, speakers=True)
    finally:
        stop.set()
        watcher.join()
    return {
        "work": work,
        "proc": proc,
        "refs": refs,
        "short_refs": short_refs,
        "reads": len(seen),
        "bad": bad,
    }


def test_run_subtitles_every_movie(library):
    work, proc = library["work"], library["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    for movie, refs in ((GOOD, library["refs"]), (HOSTILE_MOVIE, library["short_refs"])):
        mkv = work / "out" / movie / "final.mkv"
        kinds = [s["codec_type"] for s in media.probe(mkv)["streams"]]
        assert kinds == ["video", "audio", "subtitle"]
        text = subtitle_text(mkv).lower()
        for word in ("morning", "captain", "ship", "hello", "going"):
            if any(word in r["text"].lower() for r in refs):
                assert word in text, (movie, word, text)
        name = movie.rsplit("/", 1)[-1]
        assert (work / "out" / movie / f"{name}.en.srt").exists()
        m = read_manifest(work, movie)
        assert m["pipeline"]["status"] == "completed"
        assert m["pipeline"]["completed_stages"] == list(STAGE_NAMES)
        assert m["pipeline"]["next_stage"] is None
        for name, step in m["pipeline"]["steps"].items():
            # no key, no .nfo here: no metadata, so no names to bias or correct;
            # pyannote_vad and sound_events are off by default
            skipped = ("tmdb", "pre_ner", "post_ner", "pyannote_vad", "sound_events")
            expected = "skipped" if name in skipped else "success"
            assert step["status"] == expected, name
            # a stage that skips at once (no metadata to read) may round to 0.0 s
            assert step["duration"] > 0 or expected == "skipped", name
        assert m["pipeline"]["steps"]["tmdb"]["notes"] == (
            "skipped: no TMDB key, no .nfo or .json beside the movie"
        )
    assert not (work / "pwned").exists() and not (Path.cwd() / "pwned").exists()


def test_sidecars_pass_the_checker(library):
    srts = [str(p) for p in (library["work"] / "out").glob("**/*.en.srt")]
    assert len(srts) == 2
    exe = str(Path(os.sys.executable).parent / "subsmith")
    proc = subprocess.run([exe, "check-srt", *srts], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count(" 0 errors") == 2


def test_the_demo_movie_has_two_speakers_and_dialogue_dashes(library):
    """The demo movie (demo.DIALOGUE, as `make demo` writes it) through the library run
    with speakers on: diarization finds its two voices, every word joined to its turns (as
    srt_generation joins them; asr's transcript carries no speakers) takes the speaker of
    its line, and the closing quick exchange ("Are you ready?" / "Yes, I am.") shares one
    cue, a dialogue dash opening each speaker's line."""
    d = library["work"] / "out" / GOOD
    found = json.loads((d / "diarization" / "speakers.json").read_text())
    assert found["status"] == "success" and found["num_speakers"] == 2, found
    turns = (d / "diarization" / "speakers.rttm").read_text().splitlines()
    assert len(turns) == len(found["turns"])
    transcript = json.loads((d / "asr" / "transcript.json").read_text())
    assert not any("speaker" in w for s in transcript["segments"] for w in s["words"])
    joined = speakers.assign_speakers(transcript, found["turns"])
    words = [w for s in joined["segments"] for w in s["words"]]
    assert words and all(w["speaker"] for w in words)
    # Each voice is one speaker and the two are different: the speaker of each line's words.
    by_voice: dict[str, set[str]] = {}
    for ref in library["refs"]:
        said = [
            w["speaker"]
            for w in words
            if ref["start"] - 0.3 <= (w["start"] + w["end"]) / 2 <= ref["end"] + 0.3
        ]
        assert said, ref
        by_voice.setdefault(ref["voice"], set()).add(max(set(said), key=said.count))
    assert len(by_voice) == 2 and all(len(s) == 1 for s in by_voice.values()), by_voice
    assert len(set.union(*by_voice.values())) == 2, by_voice
    cues = [b.splitlines()[2:] for b in (d / f"{GOOD}.en.srt").read_text().split("\n\n")]
    shared = [c for c in cues if len(c) == 2 and all(line.startswith("- ") for line in c)]
    assert any("ready" in c[0].lower() and "yes" in c[1].lower() for c in shared), cues
    # A dash only where two speakers share a cue: one line each.
    assert all(len(c) == 2 for c in cues if any(line.startswith("- ") for line in c)), cues


def test_extra_formats_on_request(tmp_path, short_dialogue):
    audio, _ = short_dialogue
    demo.make_movie(tmp_path / "in" / "Formats (1999).mkv", [{"audio": audio}])
    (tmp_path / "f.yaml").write_text("srt_generation:\n  formats: [srt, vtt, ass]\n")
    proc = run_snakemake(tmp_path, "--configfile", str(tmp_path / "f.yaml"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    d = tmp_path / "out" / "Formats (1999)"
    srt = (d / "Formats (1999).en.srt").read_text()
    vtt = (d / "Formats (1999).en.vtt").read_text()
    ass = (d / "Formats (1999).en.ass").read_text()
    assert vtt.startswith("WEBVTT") and "morning" in vtt.lower()
    assert ass.count("Dialogue:") == srt.count(" --> ")
    # diarization.enabled: false (tests/speakers_off.yaml): recorded skipped, run completed.
    m = read_manifest(tmp_path, "Formats (1999)")
    assert m["pipeline"]["status"] == "completed"
    step = m["pipeline"]["steps"]["diarization"]
    assert step["status"] == "skipped" and "diarization.enabled is false" in step["notes"]
    assert json.loads((d / "diarization" / "speakers.json").read_text())["status"] == "skipped"


def test_manifest_was_valid_json_at_every_read(library):
    assert library["bad"] == []
    assert library["reads"] > 10


def test_status_command_shows_the_library(library):
    out = subprocess.run(
        [str(Path(os.sys.executable).parent / "subsmith"), "status", str(library["work"] / "out")],
        capture_output=True,
        text=True,
        env=env(),
    )
    assert out.returncode == 0
    assert GOOD in out.stdout and HOSTILE in out.stdout
    assert out.stdout.count("completed") == 2
    rows = json.loads(
        subprocess.run(
            [
                str(Path(os.sys.executable).parent / "subsmith"),
                "status",
                "--json",
                str(library["work"] / "out"),
            ],
            capture_output=True,
            text=True,
            env=env(),
            check=True,
        ).stdout
    )
    done = f"{len(STAGE_NAMES)}/{len(STAGE_NAMES)}"
    assert {r["movie"]: (r["status"], r["done"]) for r in rows} == {
        GOOD: ("completed", done),
        HOSTILE_MOVIE: ("completed", done),
    }


def test_dry_run_after_a_finished_run_has_nothing_to_do(library):
    proc = run_snakemake(library["work"], "--dry-run", speakers=True)
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_deleting_the_transcript_reruns_only_what_follows(library):
    work = library["work"]
    (work / "out" / GOOD / "asr" / "transcript.json").unlink()
    dry = run_snakemake(work, "--dry-run", speakers=True)
    assert planned_jobs(dry.stdout + dry.stderr) == {
        "asr": 1,
        "post_ner": 1,
        "srt_generation": 1,
        "report": 1,
        "mux": 1,
        "all": 1,
    }
    proc = run_snakemake(work, speakers=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = read_manifest(work, GOOD)["pipeline"]["steps"]
    redone = STAGE_NAMES[STAGE_NAMES.index("asr") :]
    assert [steps[s]["runs"] for s in STAGE_NAMES] == [2 if s in redone else 1 for s in STAGE_NAMES]
    assert steps["asr"]["previous"][0]["status"] == "success"
    assert read_manifest(work, GOOD)["pipeline"]["status"] == "completed"


def _wait_for(pred, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_during_asr_then_resume_completes(tmp_path, dialogue):
    audio, _ = dialogue
    movie = "Kill Me"
    demo.make_movie(tmp_path / "in" / f"{movie}.mkv", [{"audio": audio}])
    proc = subprocess.Popen(
        snakemake_cmd(tmp_path),
        cwd=tmp_path,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    asr_status = tmp_path / "out" / movie / ".status" / "asr.json"
    try:
        _wait_for(
            lambda: (status.read_status(asr_status) or {}).get("status") == "running",
            120,
            "asr to start",
        )
        time.sleep(0.5)
        job_pid = status.read_status(asr_status)["pid"]
        # The whole run dies at once, as in a power cut: snakemake and the asr job.
        os.killpg(proc.pid, signal.SIGKILL)
        os.killpg(job_pid, signal.SIGKILL)
    finally:
        proc.wait()
    m = read_manifest(tmp_path, movie)  # still valid JSON
    assert m["pipeline"]["steps"]["asr"]["status"] == "running"
    assert not (tmp_path / "out" / movie / "asr" / "transcript.json").exists()

    unlock = run_snakemake(tmp_path, "--unlock")
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    dry = run_snakemake(tmp_path, "--dry-run")
    # sound_events and diarization wait only for silero_vad (asr does not read the
    # speakers: srt_generation joins them), so whether they ran before the kill is the
    # scheduler's choice; if they did, they are not redone.
    events = tmp_path / "out" / movie / "events" / "sound_events.json"
    turns = tmp_path / "out" / movie / "diarization" / "speakers.json"
    assert set(planned_jobs(dry.stdout + dry.stderr)) == {
        "asr",
        "post_ner",
        "srt_generation",
        "report",
        "mux",
        "all",
    } | (set() if events.exists() else {"sound_events"}) | (
        set() if turns.exists() else {"diarization"}
    )
    rerun = run_snakemake(tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    m = read_manifest(tmp_path, movie)
    assert m["pipeline"]["status"] == "completed"
    steps = m["pipeline"]["steps"]
    # skipped: no key, no .nfo here (no metadata); the speaker stages are off in this run
    off = ("tmdb", "pre_ner", "post_ner", "pyannote_vad", "sound_events", "diarization")
    assert all(steps[s]["status"] == ("skipped" if s in off else "success") for s in STAGE_NAMES)
    assert steps["demux"]["runs"] == 1 and steps["silero_vad"]["runs"] == 1
    assert steps["asr"]["runs"] == 2
    assert "interrupted" in steps["asr"]["previous"][-1]["error"]


def test_corrupt_input_fails_alone_with_keep_going(tmp_path, short_dialogue):
    audio, _ = short_dialogue
    demo.make_movie(tmp_path / "in" / "Good One.mkv", [{"audio": audio}])
    (tmp_path / "in" / "broken.mkv").write_text("this is a text file, not a movie\n" * 20)
    proc = run_snakemake(tmp_path, "--keep-going")
    assert proc.returncode != 0
    assert read_manifest(tmp_path, "Good One")["pipeline"]["status"] == "completed"
    assert (tmp_path / "out" / "Good One" / "final.mkv").exists()
    m = read_manifest(tmp_path, "broken")
    assert m["pipeline"]["status"] == "failed"
    demux = m["pipeline"]["steps"]["demux"]
    assert demux["status"] == "failed"
    assert "broken.mkv" in demux["error"] and "ffprobe cannot read" in demux["error"]
    assert m["pipeline"]["next_stage"] == "demux"
    log = (tmp_path / "out" / "broken" / "logs" / "demux.log").read_text()
    assert "ffprobe cannot read" in log
    assert re.search(r"subsmith demux failed: .*broken\.mkv", proc.stdout + proc.stderr)


def test_a_stage_past_its_timeout_is_stopped_and_recorded(tmp_path, short_dialogue):
    audio, _ = short_dialogue
    demo.make_movie(tmp_path / "in" / "Slow.mkv", [{"audio": audio}])
    (tmp_path / "slow.yaml").write_text("timeouts:\n  asr: 0.5\n")
    proc = run_snakemake(tmp_path, "--configfile", str(tmp_path / "slow.yaml"))
    assert proc.returncode != 0
    m = read_manifest(tmp_path, "Slow")
    asr = m["pipeline"]["steps"]["asr"]
    assert asr["status"] == "failed" and asr["error"].startswith("timed out after 0.5 s")
    assert m["pipeline"]["status"] == "failed"
    pid = status.read_status(tmp_path / "out" / "Slow" / ".status" / "asr.json")["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_preflight_stops_before_anything_runs(tmp_path, short_dialogue):
    audio, _ = short_dialogue
    demo.make_movie(tmp_path / "in" / "Any.mkv", [{"audio": audio}])
    (tmp_path / "bad.yaml").write_text("asr:\n  model: no-such-model-anywhere\n")
    proc = run_snakemake(tmp_path, "--configfile", str(tmp_path / "bad.yaml"))
    assert proc.returncode != 0
    assert "subsmith pre-flight: ASR model 'no-such-model-anywhere'" in proc.stderr
    assert not (tmp_path / "out" / "Any" / ".status").exists()
