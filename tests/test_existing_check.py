"""existing: check (issue 31): a movie that already has its subtitle is not transcribed;
its speech is found (demux, silero_vad) and the subtitle is compared with it, unchanged.

The figures on generated films (unit level), then a small Jellyfin library through the
real workflow: the right sidecar and the right embedded track fit, a sidecar shifted by
+2.5 s and another movie's sidecar do not."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_media_library import checksums

from conftest import env, run_snakemake
from subsmith import demo
from subsmith.harness import existing_check

# Silence between the lines of the generated films: uneven, as in a film (a shift by a
# multiple of one even gap would lay every line on the next).
GAPS = [2.2, 4.0, 1.5, 3.1, 2.6, 5.0, 1.8, 3.6, 2.4, 4.4, 2.0]
LINES = demo.DIALOGUE + demo.SPANISH + demo.GERMAN  # 12 lines: enough cues for drift
TAIL = 0.4  # a cue stays up a little longer than the words (reading time)


def film(n: int, seed: int) -> tuple[list[tuple[float, float]], float]:
    """Speech regions of a generated hour-long film: lines of 0.8-4 s, pauses of 1-6 s."""
    rng = np.random.default_rng(seed)
    t, speech = 2.0, []
    for _ in range(n):
        d = rng.uniform(0.8, 4.0)
        speech.append((t, t + d))
        t += d + rng.uniform(1.0, 6.0)
    return speech, t + 2.0


def test_the_right_subtitle_fits_a_shifted_drifting_or_wrong_one_does_not():
    speech, duration = film(600, seed=1)
    right = [(a, b + TAIL) for a, b in speech]
    r = existing_check.fit(right, speech, duration)
    assert r["fits"] and r["offset"] == 0.0 and r["over_speech"] > 0.95, r
    assert abs(r["drift"]) < 0.1, r
    late = existing_check.fit([(a + 2.5, b + 2.5) for a, b in right], speech, duration)
    assert not late["fits"] and late["offset"] == 2.5 and "2.50 s late" in late["why"], late
    early = existing_check.fit([(a - 0.8, b - 0.8) for a, b in right], speech, duration)
    assert not early["fits"] and early["offset"] == -0.8, early
    # 25 fps timing on a 23.976 fps film scaled by 0.1%: 3.6 s over the hour.
    drifting = existing_check.fit([(a * 1.001, b * 1.001) for a, b in right], speech, duration)
    assert not drifting["fits"] and 3.2 < drifting["drift"] < 4.0, drifting
    other, _ = film(600, seed=2)
    wrong = existing_check.fit([(a, b + TAIL) for a, b in other], speech, duration)
    assert not wrong["fits"] and "another movie's subtitle" in wrong["why"], wrong
    assert wrong["lift"] < 0.1 < r["lift"] - 0.2


def test_without_cues_or_speech_there_is_no_fit():
    assert existing_check.fit([], [(1.0, 2.0)], 10.0)["fits"] is False
    assert existing_check.fit([(1.0, 2.0)], [], 10.0)["fits"] is None


def test_other_text_formats_are_read_image_ones_reported_unchecked(tmp_path):
    ass = tmp_path / "Film.en.ass"
    ass.write_text(
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
        "Style: Default,Arial,20\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:01.50,0:00:03.25,Default,,0,0,0,,Hello.\n"
        "Dialogue: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,There.\n"
    )
    movie = tmp_path / "Film.mkv"
    assert existing_check.read_cues({"sidecar": str(ass)}, movie) == [(1.5, 3.25), (5.0, 6.0)]
    cp1252 = tmp_path / "Film.en.srt"  # an old Windows file: the project's reader decodes it
    cp1252.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9\n".encode("cp1252"))
    assert existing_check.read_cues({"sidecar": str(cp1252)}, movie) == [(1.0, 2.0)]
    segments = tmp_path / "silero.json"
    segments.write_text(json.dumps({"duration": 10.0, "speech": [{"start": 1.0, "end": 2.0}]}))
    sup = tmp_path / "Film.en.sup"
    sup.write_bytes(b"PG")
    r = existing_check.check({"sidecar": str(sup)}, movie, segments)
    assert r["fits"] is None and "image subtitle" in r["why"], r
    assert "not checked: cannot check it" in existing_check.summary(r)
    pgs = existing_check.check({"stream": 3, "codec": "hdmv_pgs_subtitle"}, movie, segments)
    assert pgs["fits"] is None and "stream #3 is an image subtitle" in pgs["why"], pgs


def srt(cues: list[tuple[float, float]]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3_600_000:02}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02},{ms % 1000:03}"

    return "".join(
        f"{i}\n{stamp(a)} --> {stamp(b)}\nLine {i}.\n\n" for i, (a, b) in enumerate(cues, 1)
    )


MOVIES = {  # name -> (subtitle, fits)
    "Right (2001)": ("sidecar", True),
    "Embedded (2004)": ("embedded", True),
    "Shifted (2002)": ("shifted", False),
    "Wrong (2003)": ("wrong", False),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("check")
    audio, refs = demo.dialogue(LINES, lead_in=1.5, gap=GAPS, tail=2.0)
    right = [(r["start"], r["end"] + TAIL) for r in refs]
    # Another movie's subtitle: the same lines, in another order, at other times.
    _, others = demo.dialogue(LINES[::-1], lead_in=4.0, gap=[3.5, 1.2, 6.0, 2.8], tail=1.0)
    subtitles = {
        "sidecar": srt(right),
        "shifted": srt([(a + 2.5, b + 2.5) for a, b in right]),
        "wrong": srt([(r["start"], r["end"] + TAIL) for r in others]),
    }
    track = [{"audio": audio, "language": "eng"}]
    clip = demo.make_movie(work / "clip.mkv", track)
    lib = work / "Movies"
    for name, (has, _) in MOVIES.items():
        movie = lib / name / f"{name}.mkv"
        movie.parent.mkdir(parents=True)
        if has == "embedded":
            demo.make_movie(movie, track, subtitle_srt=subtitles["sidecar"])
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f"file:{movie}",
                            "-map", "0", "-c", "copy", "-metadata:s:s:0", "language=eng",
                            f"file:{movie.with_suffix('.tagged.mkv')}"], check=True)  # fmt: skip
            os.replace(movie.with_suffix(".tagged.mkv"), movie)
        else:
            shutil.copyfile(clip, movie)
            movie.with_name(f"{name}.en.srt").write_text(subtitles[has], encoding="utf-8")
    before = checksums(lib)
    config = work / "check.yaml"
    config.write_text(f"input_dir: {lib}\noutput_dir: {work / 'out'}\nexisting: check\n")
    args = ("--configfile", str(config))
    proc = run_snakemake(work, *args, library=True)
    yield {"work": work, "lib": lib, "out": work / "out", "proc": proc, "args": args,
           "before": before, "config": config}  # fmt: skip


def manifest(run, name: str) -> dict:
    path = run["out"] / name / name / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_run_succeeds_and_changes_nothing_of_the_library(run):
    assert run["proc"].returncode == 0, run["proc"].stderr[-3000:]
    assert "Traceback" not in run["proc"].stderr
    assert checksums(run["lib"]) == run["before"]


def test_each_existing_subtitle_is_reported_fitting_or_not(run):
    for name, (has, fits) in MOVIES.items():
        m = manifest(run, name)
        assert m["pipeline"]["status"] == "checked", (name, m["pipeline"])
        result = json.loads((run["out"] / name / name / existing_check.RESULT).read_text())
        assert result["fits"] is fits, (name, result)
        verdict = "fits" if fits else "does not fit"
        assert f" {verdict}: " in m["pipeline"]["note"], (name, m["pipeline"]["note"])
        assert m["pipeline"]["note"].endswith("(existing: check)")
        if has in ("sidecar", "embedded"):
            assert abs(result["offset"]) <= 0.15 and result["over_speech"] >= 0.9, result
    shifted = json.loads(
        (run["out"] / "Shifted (2002)/Shifted (2002)/existing_check.json").read_text()
    )
    assert abs(shifted["offset"] - 2.5) <= 0.1 and "s late" in shifted["why"], shifted
    wrong = json.loads((run["out"] / "Wrong (2003)/Wrong (2003)/existing_check.json").read_text())
    assert "another movie's subtitle" in wrong["why"] or wrong["over_speech"] < 0.6, wrong
    embedded = json.loads(
        (run["out"] / "Embedded (2004)/Embedded (2004)/existing_check.json").read_text()
    )
    assert embedded["subtitle"] == "stream #2 (subrip)"


def test_only_demux_and_silero_ran_no_transcription(run):
    for name in MOVIES:
        d = run["out"] / name / name
        ran = sorted(p.stem for p in (d / ".status").glob("*.json"))
        assert ran == ["demux", "existing_check", "silero_vad", "tmdb"], (name, ran)
        assert not (d / "asr").exists() and not list(d.rglob("*.wav")), name
    assert not [p for p in run["lib"].rglob("*") if p.name.endswith(".en.srt")
                and "(2004)" in p.name]  # fmt: skip


def test_subsmith_status_shows_the_verdicts(run):
    shown = subprocess.run(
        [str(Path(os.sys.executable).parent / "subsmith"), "status", str(run["out"])],
        capture_output=True,
        text=True,
        env=env(),
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Right (2001)/Right (2001): existing subtitle Right (2001).en.srt fits: " in shown.stdout
    assert (
        "Shifted (2002)/Shifted (2002): existing subtitle Shifted (2002).en.srt does not fit: "
        in shown.stdout
    )
    assert re.search(
        r"Shifted \(2002\).en.srt does not fit: .* offset \+2\.[4-6]\d s", shown.stdout
    )


def test_a_second_run_has_nothing_to_do(run):
    dry = run_snakemake(run["work"], "--dry-run", *run["args"], library=True)
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert "Nothing to be done" in dry.stdout + dry.stderr, (dry.stdout + dry.stderr)[-3000:]


def jobs(log: str) -> set[str]:
    """The rules of a run's job stats (none: nothing to be done)."""
    if "Job stats:" not in log:
        return set()
    stats = log.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {ln.split()[0] for ln in stats.splitlines()[3:] if ln.strip()} - {"total"}


def test_switching_to_skip_neither_checks_nor_transcribes(run):
    config = run["work"] / "skip.yaml"
    config.write_text(run["config"].read_text().replace("existing: check", "existing: skip"))
    proc = run_snakemake(run["work"], "--configfile", str(config), library=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert jobs(proc.stdout + proc.stderr) <= {"all"}, proc.stderr[-2000:]  # every movie skipped
    m = manifest(run, "Right (2001)")
    assert m["pipeline"]["status"] == "skipped", m["pipeline"]
    assert m["pipeline"]["note"] == (
        "skipped: a subtitle in English is beside it: Right (2001).en.srt (existing: skip)"
    )
