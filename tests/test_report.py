"""The report stage (issue 33): the quality estimate, the per-movie page, the library page,
their rendering in a real browser with nothing fetched, and a report that fails without
failing its movie."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import read_manifest, run_snakemake
from subsmith import cli, demo
from subsmith.core.models import ENGLISH_DEFAULT
from subsmith.harness import status
from subsmith.report import build_report
from subsmith.report import quality as Q
from subsmith.report.library import library_rows, render_index
from subsmith.report.movie import Movie, MovieFiles
from subsmith.subtitles.cues import Cue

MOVIE = "Harbour (2020)"


# ---------------------------------------------------------------- the estimate, alone


def _movie(**kw) -> Movie:
    """A made-up movie: 60 s, speech 0-10 s and 20-40 s, one cue over 0-10 s."""
    words = [
        {"start": 0.5 + i, "end": 1.2 + i, "word": f" w{i}", "probability": p, "speaker": "A"}
        for i, p in enumerate([0.9, 0.9, 0.3, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
    ]
    base = dict(
        name="M",
        movie_dir=Path("/nonexistent"),
        duration=60.0,
        media={},
        speech=[{"start": 0.0, "end": 10.0}, {"start": 20.0, "end": 40.0}],
        diarization={"status": "success", "num_speakers": 1, "turns": []},
        transcript={
            "language": "en",
            "language_probability": 0.9,
            "segments": [
                {
                    "start": 0.5,
                    "end": 10.2,
                    "avg_logprob": -0.2,
                    "no_speech_prob": 0.1,
                    "words": words,
                }
            ],
        },
        corrections=[{"from": "w3", "to": "Wendy", "start": 3.5, "end": 4.2}],
        cues=[Cue(0.4, 10.3, ["w0 w1 w2 w3 w4", "w5 w6 w7 w8 w9"])],
        steps={"srt_generation": {"notes": "7 segments dropped as non-speech; 1 cues"}},
        loudness=[-20.0] * 40 + [-70.0] * 40 + [-20.0] * 40,
    )
    base.update(kw)
    return Movie(**base)


def test_the_estimate_is_confidence_times_coverage_times_language():
    q = Q.assess(_movie())
    # the 20 s of speech from 20-40 s have no cue: coverage 10/30
    assert q.uncovered == [(20.0, 40.0)] and q.coverage == pytest.approx(1 / 3, abs=1e-3)
    assert q.confidence == pytest.approx(0.84)
    assert q.language_factor == 1.0  # 0.9 >= LANGUAGE_SURE
    assert q.estimate == pytest.approx(100 * 0.84 * (1 / 3), abs=0.1)
    assert any(f.startswith("uncovered speech (20 s)") for f in q.flags)
    assert "hallucinations dropped (7)" in q.flags
    assert q.silences == [(20.0, 40.0)]  # 20 s below SILENCE_DB
    (cue,) = q.cues
    assert cue.speaker == "A" and cue.score == pytest.approx(84.0)
    # its words' P(wrong), and the 20 s of speech after it with no word: 10 words in 30 s
    # of speech, so 20 s hold 6.7 words it probably left out
    words = 9 * Q.word_wrong(0.9, -0.2) + Q.word_wrong(0.3, -0.2)
    assert cue.expected == pytest.approx(words + 10 / 30 * 20, abs=0.01)
    (likely,) = [f for f in cue.flags if f.startswith("likely wrong words")]
    assert "w2?" in likely and "words missed" in likely and "name corrected" in cue.flags
    assert [w["word"] for w in q.unsure_words] == ["w2"]


def _sure(ps: list[float]) -> Movie:
    """_movie with all its speech under its cue (nothing missed) and these probabilities."""
    m = _movie(corrections=[], speech=[{"start": 0.0, "end": 10.0}])
    for w, p in zip(m.transcript["segments"][0]["words"], ps, strict=True):
        w["probability"] = p
    return m


def test_a_cue_is_flagged_at_one_expected_wrong_word():
    """CUE_EXPECTED: ten sure words are not one wrong word; two words the decoder gave 0.05
    are nearly two. The timeline marks unsure words either way (UNSURE_WORD)."""
    assert Q.word_wrong(0.05, -0.2) > 0.8 > 0.1 > Q.word_wrong(0.99, -0.2)
    assert Q.word_wrong(0.9, -1.0) > Q.word_wrong(0.9, -0.2)  # a doubted line
    (cue,) = Q.assess(_sure([0.99] * 10)).cues
    assert cue.expected < Q.CUE_EXPECTED and cue.flags == [] and cue.unsure == []
    (cue,) = Q.assess(_sure([0.99, 0.99, 0.05, 0.99, 0.99, 0.05] + [0.99] * 4)).cues
    assert cue.expected >= Q.CUE_EXPECTED and cue.unsure == ["w2", "w5"]
    assert cue.flags == [f"likely wrong words ({cue.expected:.1f}: w2? w5?)"]


def test_missed_words_count_to_the_cue_around_them_or_half_to_each_neighbour():
    """Silero speech with no word: inside a cue it is that cue's; between two cues half
    each's; under MISSED_GAP it is word timing, not a word missed."""
    words = [
        {"start": t, "end": t + 0.5, "word": " w", "probability": 0.99}
        for t in (0.0, 1.0, 2.0, 9.0, 10.0, 11.0, 20.0)
    ]
    m = _movie(
        speech=[{"start": 0.0, "end": 12.0}, {"start": 20.0, "end": 25.0}],
        transcript={"segments": [{"start": 0, "end": 25, "avg_logprob": -0.2, "words": words}]},
        cues=[Cue(0.0, 2.6, ["w w w"]), Cue(9.0, 11.6, ["w w w"]), Cue(20.0, 25.0, ["w"])],
    )
    rate = 7 / 17  # words per second of speech
    gap = 9.0 - Q.MISSED_PAD - (2.5 + Q.MISSED_PAD)  # 2.6-9 s: speech, no word
    inside = 25.0 - (20.5 + Q.MISSED_PAD)  # the last cue's 4.3 s after its one word
    missed = Q.missed_words(m)
    assert missed[0] == pytest.approx(rate * gap / 2, abs=0.01) == missed[1]
    assert missed[2] == pytest.approx(rate * inside, abs=0.01)
    m.speech = [{"start": 0.0, "end": 2.6 + Q.MISSED_GAP - 0.1}]
    assert Q.missed_words(m) == [0.0, 0.0, 0.0]


def test_at_most_a_fifth_of_a_movies_cues_are_flagged_the_worst_first():
    """CUE_SHARE: ten cues each likely wrong, two flagged, the two most likely wrong."""
    words, cues = [], []
    for i in range(10):
        p = 0.05 if i in (3, 7) else 0.2  # cues 4 and 8 the worst
        words += [
            {"start": 10.0 * i + j, "end": 10.0 * i + j + 0.8, "word": " x", "probability": p}
            for j in range(4)
        ]
        cues.append(Cue(10.0 * i, 10.0 * i + 4.0, ["x x x x"]))
    m = _movie(
        speech=[{"start": 10.0 * i, "end": 10.0 * i + 4.0} for i in range(10)],
        transcript={"segments": [{"start": 0, "end": 100, "avg_logprob": -0.5, "words": words}]},
        cues=cues,
        corrections=[],
    )
    q = Q.assess(m)
    assert all(c.expected >= Q.CUE_EXPECTED for c in q.cues)
    assert [c.index for c in q.cues if c.flags] == [4, 8]


def test_flags_for_an_unsure_language_low_confidence_and_one_voice():
    words = [
        {"start": float(i), "end": i + 0.8, "word": " x", "probability": 0.4} for i in range(200)
    ]
    m = _movie(
        speech=[{"start": 0.0, "end": 200.0}],
        transcript={
            "language": "nl",
            "language_probability": 0.4,
            "segments": [{"start": 0, "end": 200, "avg_logprob": -1.3, "words": words}],
        },
        cues=[Cue(float(i), i + 0.9, ["x"]) for i in range(200)],
        diarization={
            "status": "success",
            "turns": [
                {"start": 0.0, "end": 190.0, "speaker": "S0"},
                {"start": 190.0, "end": 200.0, "speaker": "S1"},
            ],
        },
        corrections=[],
        steps={},
    )
    q = Q.assess(m)
    assert q.language_factor == 0.5 and q.estimate == pytest.approx(100 * 0.4 * 1.0 * 0.5)
    text = " | ".join(q.flags)
    for flag in ("low confidence (40)", "language uncertain (nl 0.40)", "speakers merged?"):
        assert flag in text
    assert "uncovered" not in text
    # one word each, all of it at 0.4 in a doubted line: most likely wrong, but one word
    assert all(c.expected == pytest.approx(Q.word_wrong(0.4, -1.3), abs=0.01) for c in q.cues)


def test_no_speech_has_no_estimate_and_no_flag():
    m = _movie(speech=[], cues=[], transcript={"segments": []}, corrections=[], steps={})
    q = Q.assess(m)
    assert q.estimate is None and q.flags == [] and q.cues == []


def test_a_movie_without_speech_gets_a_page_without_an_estimate(tmp_path):
    """What a music-only movie leaves (no speech, an empty sidecar; here no audio.wav
    either, as after the audio was removed): a page, no estimate, no flag."""
    d = tmp_path / "Overture"
    (d / "vad").mkdir(parents=True)
    (d / "asr").mkdir()
    (d / "vad" / "silero_segments.json").write_text('{"duration": 90.0, "speech": []}')
    (d / "asr" / "transcript.json").write_text('{"language": "en", "segments": []}')
    (d / "Overture.en.srt").write_text("")
    page, summary = build_report(MovieFiles.under(d), steps={})
    assert summary["estimate"] is None and summary["flags"] == [] and summary["cue_count"] == 0
    assert "no audio.wav" in page and page.count("<svg") == 1


# ---------------------------------------------------------------- the workflow


@pytest.fixture(scope="module")
def reported(tmp_path_factory, dialogue):
    """One demo movie (two voices) through the real workflow, speakers on."""
    work = tmp_path_factory.mktemp("report")
    audio, _ = dialogue
    demo.make_movie(
        work / "in" / f"{MOVIE}.mkv", [{"audio": audio, "language": "eng", "default": True}]
    )
    proc = run_snakemake(work, speakers=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def test_the_report_stage_writes_the_page_and_its_summary(reported):
    d = reported / "out" / MOVIE
    m = read_manifest(reported, MOVIE)
    assert m["pipeline"]["status"] == "completed"
    step = m["pipeline"]["steps"]["report"]
    assert step["status"] == "success" and step["notes"].startswith("estimate ")
    summary = json.loads((d / "report.json").read_text())
    assert summary["status"] == "success" and summary["speakers"] == 2
    assert 50 <= summary["estimate"] <= 100, summary
    cues = (d / f"{MOVIE}.en.srt").read_text().count(" --> ")
    assert summary["cue_count"] == cues > 0
    page = (d / "report.html").read_text()
    assert page.count("<svg") == 1  # 27 s: one strip
    for lane in ("loudness", "speech", "SPEAKER_00", "SPEAKER_01", "cues", "unsure / names"):
        assert f">{lane}</text>" in page, lane
    assert len(re.findall(r'<tr id="cue-\d+"', page)) == cues
    # every cue has a speaker, and both voices speak in the cues
    speakers = re.findall(r'<tr id="cue-\d+"[^>]*>.*?</span>(SPEAKER_\d\d)</td>', page)
    assert len(speakers) == cues and set(speakers) == {"SPEAKER_00", "SPEAKER_01"}
    for fact in ("#1 eng mono", f"{ENGLISH_DEFAULT} (", "en (probability", "Reading speed"):
        assert fact in page, fact


def test_the_library_page_links_every_movie(reported):
    index = (reported / "out" / "index.html").read_text()
    assert f'href="{quote(MOVIE)}/report.html"' in index
    (row,) = library_rows(reported / "out")
    assert row["status"] == "completed" and row["cues"] and row["estimate"] is not None


class _Refs(HTMLParser):
    """Every URL a page would load or link: src, href, xlink:href, srcset."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "srcset")]


def _external(page: str) -> list[str]:
    """URLs of a page that are not inside it: another host, or CSS that imports."""
    p = _Refs()
    p.feed(page)
    found = [u for u in p.urls if re.match(r"(?i)\s*(https?:|//|ftp:)", u)]
    return found + re.findall(r"(?i)@import|url\(\s*['\"]?(?:https?:|//)", page)


def test_the_pages_are_self_contained(reported):
    for page in (reported / "out" / MOVIE / "report.html", reported / "out" / "index.html"):
        text = page.read_text()
        assert _external(text) == [], page
        assert "<link" not in text and "<script src" not in text


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"]
        + ["--no-first-run", "--disable-background-networking", "--disable-component-update"]
        + ["--disable-sync", f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page asked for. Chromium's own traffic (component updates, sign-in) is in
    the netlog too, started by no origin ("not an origin"); a page's requests carry its
    origin (a file:// page's is "null")."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start
        and "url" in e.get("params", {})
        and e["params"].get("initiator") != "not an origin"
    ]


def _render(page: Path, out: Path, name: str) -> tuple[Path, list[str]]:
    """(screenshot, the URLs the page requested) of one page in headless Chromium."""
    shot, netlog = out / f"{name}.png", out / f"{name}.netlog.json"
    with tempfile.TemporaryDirectory() as profile:
        proc = _chromium(
            f"--screenshot={shot}",
            "--window-size=1400,1000",
            f"--log-net-log={netlog}",
            page.resolve().as_uri(),
            profile=Path(profile),
        )
    assert shot.exists() and shot.stat().st_size > 5_000, proc.stderr[-2000:]
    return shot, _page_requests(netlog)


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="chromium is not installed (make install adds it: APT_PACKAGES)",
)
def test_the_pages_render_in_chromium_and_fetch_nothing(reported, tmp_path):
    # The check itself works: a page that loads an image from a server is caught.
    control = tmp_path / "control.html"
    control.write_text('<!doctype html><img src="http://127.0.0.1:9/x.png"><p>control</p>')
    _, asked = _render(control, tmp_path, "control")
    assert asked == ["http://127.0.0.1:9/x.png"]
    pages = {
        "report": reported / "out" / MOVIE / "report.html",
        "index": reported / "out" / "index.html",
    }
    for name, page in pages.items():
        shot, asked = _render(page, tmp_path, name)
        print(f"screenshot of {name}: {shot}")
        assert [u for u in asked if not u.startswith(("file:", "data:"))] == [], name
        with tempfile.TemporaryDirectory() as profile:
            dom = _chromium("--dump-dom", page.resolve().as_uri(), profile=Path(profile)).stdout
        if name == "report":
            assert dom.count("<svg") == 1 and "<rect" in dom
        else:
            assert MOVIE in dom and "<tbody>" in dom


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="chromium is not installed (make install adds it: APT_PACKAGES)",
)
def test_the_library_page_sorts_by_a_column_in_chromium(tmp_path):
    """Its few lines of script: a click on a column's head sorts by it (numbers as
    numbers, a movie without an estimate last), a second click the other way."""
    row = {"status": "completed", "duration": 60.0, "speech_minutes": 1.0, "speakers": 2}
    rows = [
        {**row, "movie": name, "cues": 9, "estimate": est, "flags": [], "report": None}
        for name, est in (("B", 91.0), ("A", None), ("C", 9.5), ("D", 100.0))
    ]
    page = tmp_path / "index.html"
    column = 6  # estimate
    clicks = {"asc": 1, "desc": 2}
    for order, n in clicks.items():
        click = f"document.querySelectorAll('th')[{column}].click();" * n
        page.write_text(render_index(rows).replace("</body>", f"<script>{click}</script></body>"))
        with tempfile.TemporaryDirectory() as profile:
            dom = _chromium("--dump-dom", page.as_uri(), profile=Path(profile)).stdout
        names = re.findall(r'<tr><td data-v="([A-D])">', dom)
        assert names == {"asc": ["C", "B", "D", "A"], "desc": ["D", "B", "C", "A"]}[order]


def test_a_failing_report_leaves_the_movie_completed_with_a_note(reported, tmp_path):
    """A corrupt transcript, read only by the report (its time kept, so nothing else is
    redone): the report is skipped with the reason on its page, the movie stays completed."""
    work = tmp_path / "work"
    shutil.copytree(reported, work, symlinks=True)
    d = work / "out" / MOVIE
    transcript = d / "asr" / "transcript.json"
    st = transcript.stat()
    transcript.write_text('{"language": "en", "segments": [{"start": 1,')
    os.utime(transcript, ns=(st.st_atime_ns, st.st_mtime_ns))
    (d / "report.html").unlink()
    # mtime alone: the copied movie has a new inode, which demux's params would call a
    # replaced movie (tests/README.md, the replaced-movie row).
    target = str(d.relative_to(work) / "report.html")
    proc = run_snakemake(work, target, "--rerun-triggers", "mtime", speakers=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Job stats" in proc.stdout + proc.stderr
    assert "rule demux" not in proc.stdout + proc.stderr  # the report alone ran
    m = read_manifest(work, MOVIE)
    assert m["pipeline"]["status"] == "completed"
    step = m["pipeline"]["steps"]["report"]
    assert step["status"] == "skipped" and step["runs"] == 2
    assert "transcript.json: cannot read it" in step["notes"]
    page = (d / "report.html").read_text()
    assert "No report for this movie" in page and "transcript.json" in page
    assert json.loads((d / "report.json").read_text())["status"] == "skipped"
    (row,) = library_rows(work / "out")
    assert row["flags"][0].startswith("no report: ")
    assert "no report: " in render_index([row])


def test_status_shows_the_estimate_and_the_flags(tmp_path, capsys):
    d = tmp_path / "out" / "Flagged"
    p = status.status_path(d, "demux")
    status.start(p, "demux", inputs=["in/Flagged.mkv"], timeout=None)
    status.finish(p, status.SUCCESS, duration=1.0)
    summary = {"status": "success", "estimate": 41.2, "flags": ["uncovered speech (75 s)"]}
    (d / "report.json").write_text(json.dumps(summary))
    cli.main(["status", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert "QUALITY" in out.splitlines()[0] and " 41 " in out.splitlines()[1]
    assert "Flagged: check: uncovered speech (75 s)" in out
    rows = cli.movie_rows(tmp_path / "out")
    assert rows[0]["quality"] == "41" and rows[0]["flags"] == ["uncovered speech (75 s)"]
