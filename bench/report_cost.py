"""What the report stage costs on a longer movie, as a share of the whole pipeline;
and how big a long feature's page is and how fast it opens (--feature).

A generated 10-minute movie (the demo dialogue, its two voices, repeated with pauses
and a long silence in the middle, as films have), run through the real workflow with
diarization on (tests/speakers_fast.yaml); then the report stage's own duration from
the manifest against the sum of every stage's. Prints one JSON line and writes its
section of bench/report_cost.md (README.md and tests/README.md point there).

    python bench/report_cost.py [--minutes 10] [--work DIR]

--feature MINUTES (87, a long feature): the stage outputs of a movie that long made
cheaply, without decoding: bench/real_decode.py's cached outputs of the real
recordings with speech (film-dev, speech-dev, speakers-dev, ami-train; tiny.en
transcripts, diarization, Silero) tiled end to end, 2 s apart, with speakers renamed
so that twelve voices recur; srt_generation's make_cues on the tiled transcript; an
audio.wav of noise whose level changes every few seconds, written a minute at a time.
Then the report module builds the page (subsmith.report.build_report), and headless
Chromium opens it: its size, the time the report took to build it, and the load time
(median of 3): the page's own navigation-start to load-event-end, measured in a copy
with one line of script added, and the wall time of `chromium --dump-dom` beside that
of an empty page (Chromium's own start). Writes bench/report_cost.md.

    python bench/report_cost.py --feature 87 [--cache bench/work/real]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from common import BENCH, CONFIG, ROOT, SNAKEMAKE, env

from subsmith import demo
from subsmith.media.audio import SAMPLE_RATE


def long_movie(path: Path, minutes: float) -> None:
    """The dialogue again and again, 3 s apart, with a minute of silence at the middle."""
    audio, _ = demo.dialogue()
    target = int(minutes * 60 * SAMPLE_RATE)
    pause = np.zeros(3 * SAMPLE_RATE, np.float32)
    parts, n, silence_done = [], 0, False
    while n < target:
        if not silence_done and n > target // 2:
            parts.append(np.zeros(60 * SAMPLE_RATE, np.float32))
            n += 60 * SAMPLE_RATE
            silence_done = True
        parts += [audio, pause]
        n += len(audio) + len(pause)
    track = np.concatenate(parts)[:target]
    demo.make_movie(path, [{"audio": track, "language": "eng", "default": True}])


FEATURE_CORPORA = ("film-dev", "speech-dev", "speakers-dev", "ami-train")
VOICES = 12  # speakers of the tiled movie: each tile's are renamed into these


def feature_outputs(cache: Path, movie_dir: Path, minutes: float) -> dict:
    """A `minutes`-long movie's stage outputs under movie_dir, tiled from the cache."""
    import soundfile

    from subsmith import subtitles
    from subsmith.media.audio import SAMPLE_RATE
    from subsmith.subtitles import srt_generation

    keys = sorted(
        p.relative_to(cache / "tiny.en").with_suffix("").as_posix()
        for c in FEATURE_CORPORA
        for p in (cache / "tiny.en" / c).glob("*.json")
    )
    meta = json.loads((cache / "meta.json").read_text())
    target = minutes * 60
    segments, speech, turns = [], [], []
    t, n = 0.0, 0
    while t < target:
        key = keys[n % len(keys)]
        tr = json.loads((cache / "tiny.en" / f"{key}.json").read_text())
        sp = json.loads((cache / "silero" / f"{key}.json").read_text())["speech"]
        dia = json.loads((cache / "speakers" / f"{key}.json").read_text())
        names: dict[str, str] = {}
        for turn in dia.get("turns") or []:
            who = names.setdefault(turn["speaker"], f"SPEAKER_{(n * 3 + len(names)) % VOICES:02d}")
            turns.append(
                {**turn, "start": turn["start"] + t, "end": turn["end"] + t, "speaker": who}
            )
        for seg in tr["segments"]:
            words = [{**w, "start": w["start"] + t, "end": w["end"] + t} for w in seg["words"]]
            segments.append(
                {
                    **seg,
                    "id": len(segments),
                    "start": seg["start"] + t,
                    "end": seg["end"] + t,
                    "words": words,
                }
            )
        speech += [{"start": r["start"] + t, "end": r["end"] + t} for r in sp]
        t += meta["seconds"][key] + 2.0
        n += 1
    duration = target
    segments = [s for s in segments if s["end"] <= duration]
    speech = [r for r in speech if r["end"] <= duration]
    turns = [x for x in turns if x["end"] <= duration]
    rules = subtitles.SubtitleRules.from_config(CONFIG["srt_generation"])
    made = srt_generation.make_cues(segments, speech, rules)
    for sub in ("audio", "vad", "diarization", "asr"):
        (movie_dir / sub).mkdir(parents=True, exist_ok=True)
    transcript = {
        "language": "en",
        "language_probability": 0.99,
        "model": "tiny.en",
        "device": "cpu",
        "segments": segments,
    }
    (movie_dir / "asr" / "transcript.json").write_text(json.dumps(transcript))
    (movie_dir / "vad" / "silero_segments.json").write_text(
        json.dumps({"duration": duration, "speech": speech})
    )
    speakers = sorted({x["speaker"] for x in turns})
    (movie_dir / "diarization" / "speakers.json").write_text(
        json.dumps({"status": "success", "num_speakers": len(speakers), "turns": turns})
    )
    (movie_dir / f"{movie_dir.name}.en.srt").write_text(subtitles.to_srt(made.cues))
    rng = np.random.default_rng(0)
    with soundfile.SoundFile(
        movie_dir / "audio" / "audio.wav", "w", SAMPLE_RATE, 1, subtype="PCM_16"
    ) as f:
        for _ in range(int(duration // 60)):
            level = np.repeat(10 ** (rng.uniform(-60, -10, 20) / 20), 3 * SAMPLE_RATE)
            f.write((rng.standard_normal(60 * SAMPLE_RATE) * level * 0.3).astype(np.float32))
    return {
        "recordings": n,
        "cues": len(made.cues),
        "segments": len(segments),
        "speakers": len(speakers),
        "speech_min": round(sum(r["end"] - r["start"] for r in speech) / 60, 1),
    }


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        + ["--disable-background-networking", f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


LOAD_PROBE = (
    "<script>addEventListener('load',function(){setTimeout(function(){var n="
    "performance.getEntriesByType('navigation')[0];document.body.setAttribute("
    "'data-load-ms',Math.round(n.loadEventEnd-n.startTime));},0);});</script>"
)


def load_times(page: Path, runs: int = 3) -> dict:
    """Median in-page load (navigation start to load event end) and --dump-dom wall
    times of the page and of an empty page."""
    import re

    work = Path(tempfile.mkdtemp(prefix="report-load-"))
    probe = work / "probe.html"
    probe.write_text(page.read_text().replace("</body>", LOAD_PROBE + "</body>"))
    empty = work / "empty.html"
    empty.write_text("<!doctype html><title>e</title><p>e</p>")
    inpage, wall, base = [], [], []
    for i in range(runs):
        for target, into in ((empty, base), (page, wall), (probe, None)):
            prof = work / f"profile{i}{target.stem}"
            t0 = time.monotonic()
            out = chromium("--dump-dom", target.resolve().as_uri(), profile=prof)
            took = time.monotonic() - t0
            if into is not None:
                into.append(took)
            else:
                m = re.search(r'data-load-ms="(\d+)"', out.stdout)
                if not m:
                    raise SystemExit(f"no load time in the DOM: {out.stderr[-1500:]}")
                inpage.append(int(m.group(1)) / 1000)
    shot = work / "shot.png"
    chromium(
        f"--screenshot={shot}",
        "--window-size=1400,1000",
        page.resolve().as_uri(),
        profile=work / "profile-shot",
    )
    shutil.rmtree(work / "profile-shot", ignore_errors=True)
    return {
        "load_s": round(statistics.median(inpage), 2),
        "dump_dom_s": round(statistics.median(wall), 2),
        "empty_page_dump_dom_s": round(statistics.median(base), 2),
        "screenshot_ok": shot.exists() and shot.stat().st_size > 5000,
    }


def feature(minutes: float, cache: Path, work: Path) -> dict:
    from subsmith.report import build_report
    from subsmith.report.movie import MovieFiles

    movie_dir = work / "out" / f"Feature ({minutes:g} min)"
    made = feature_outputs(cache, movie_dir, minutes)
    t0 = time.monotonic()
    page, summary = build_report(MovieFiles.under(movie_dir), steps={})
    built = time.monotonic() - t0
    path = movie_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    size = path.stat().st_size
    counts = {tag: page.count(f"<{tag} ") for tag in ("rect", "polygon", "a", "tr")}
    return {
        "minutes": minutes,
        **made,
        "flagged_cues": summary["flagged_cues"],
        "build_s": round(built, 2),
        "page_bytes": size,
        "page_mb": round(size / 1e6, 2),
        "elements": counts,
        **load_times(path),
        "work": str(work),
    }


MD = BENCH / "report_cost.md"


def loudness_of(work: Path, minutes: float) -> float:
    """Seconds subsmith.report.movie.loudness takes over a `minutes`-long noise WAV."""
    import soundfile

    from subsmith.media.audio import SAMPLE_RATE
    from subsmith.report.movie import loudness

    wav = work / "long.wav"
    rng = np.random.default_rng(0)
    with soundfile.SoundFile(wav, "w", SAMPLE_RATE, 1, subtype="PCM_16") as f:
        for _ in range(int(minutes)):
            f.write((rng.standard_normal(60 * SAMPLE_RATE) * 0.05).astype(np.float32))
    t0 = time.monotonic()
    loudness(wav)
    took = time.monotonic() - t0
    wav.unlink()
    return took


TITLE = "# The report's cost (issue 33)\n\n"
SECTIONS = ("## A 10-minute movie through the workflow", "## A long feature's page")


def write_section(heading: str, body: str, path: Path = MD) -> None:
    """Rewrite one section of report_cost.md, keeping the other (each mode writes its own)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    parts = {}
    for h in SECTIONS:
        if h in old:
            rest = old.split(h, 1)[1]
            ends = [rest.index(o) for o in SECTIONS if o != h and o in rest]
            parts[h] = rest[: min(ends)] if ends else rest
    parts[heading] = "\n\n" + body.strip() + "\n\n"
    text = TITLE + "".join(h + parts[h] for h in SECTIONS if h in parts)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def write_md(r: dict) -> None:
    ok_size = "yes" if r["page_bytes"] < 3e6 else "no"
    ok_time = "yes" if r["load_s"] < 2 else "no"
    per_cue = r["page_bytes"] / max(1, r["cues"])
    write_section(
        SECTIONS[1],
        f"`python bench/report_cost.py --feature {r['minutes']:g}` (its docstring says how): the "
        f"stage outputs of a movie of {r['minutes']:g} minutes, tiled from the cached outputs of "
        f"{r['recordings']} real recordings (tiny.en), {r['speech_min']} min of speech, "
        f"{r['segments']} segments, {r['cues']} cues ({r['flagged_cues']} flagged), "
        f"{r['speakers']} speakers, and a noise track; the page built by "
        "`subsmith.report.build_report` and opened in headless Chromium on the shared "
        "2-core machine (median of 3).\n\n"
        "| what | figure | target | met |\n|---|---|---|---|\n"
        f"| page size | {r['page_mb']:.2f} MB ({r['page_bytes']:,} bytes) | under 3 MB | {ok_size} |\n"
        f"| load, navigation start to load event end (in the page) | {r['load_s']:.2f} s "
        f"| under 2 s | {ok_time} |\n"
        f"| `chromium --headless --dump-dom` wall time | {r['dump_dom_s']:.2f} s "
        f"(an empty page: {r['empty_page_dump_dom_s']:.2f} s, Chromium's own start) | | |\n"
        f"| building the page (`build_report`: reading the outputs, the loudness of the "
        f"{r['minutes']:g}-min track, the page) | {r['build_s']:.2f} s | | |\n\n"
        f"SVG and table elements in the page: {json.dumps(r['elements'])}. Screenshot "
        f"rendered: {'yes' if r['screenshot_ok'] else 'no'}. The page grows with the cues "
        f"(a table row, a timeline rectangle and a link each): {per_cue / 1000:.2f} kB a cue "
        f"here, so 3 MB would be about {3e6 / per_cue:,.0f} cues.\n",
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--work", type=Path)
    p.add_argument("--feature", type=float, help="minutes: a long feature's page (see above)")
    p.add_argument("--cache", type=Path, default=BENCH / "work" / "real")
    args = p.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="report-cost-"))
    if args.feature:
        r = feature(args.feature, args.cache, work)
        print(json.dumps(r))
        write_md(r)
        return 0
    long_movie(work / "in" / "Long (2020).mkv", args.minutes)
    t0 = time.monotonic()
    proc = subprocess.run(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(work), "--cores", "2"]
        + ["--configfile", str(ROOT / "tests" / "speakers_fast.yaml")],
        cwd=work,
        env=env(),
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - t0
    if proc.returncode:
        print(proc.stderr[-3000:])
        return 1
    m = json.loads((work / "out" / "Long (2020)" / "manifest.json").read_text())
    steps = m["pipeline"]["steps"]
    total = sum(s.get("duration") or 0 for s in steps.values())
    report = steps["report"]["duration"]
    size = (work / "out" / "Long (2020)" / "report.html").stat().st_size
    r = {
        "minutes": args.minutes,
        "report_s": report,
        "stages_s": round(total, 1),
        "share": round(report / total, 4),
        "run_wall_s": round(wall, 1),
        "report_html_kb": round(size / 1024),
        "report_notes": steps["report"]["notes"],
        "work": str(work),
    }
    print(json.dumps(r))
    t0 = time.monotonic()
    loud = loudness_of(work, 120)
    write_section(
        SECTIONS[0],
        f"`python bench/report_cost.py --minutes {args.minutes:g}`: a generated "
        f"{args.minutes:g}-minute movie (the demo dialogue repeated, a minute of silence in "
        "the middle) through the real workflow, diarization on, 2 cores. The report stage "
        f"took {r['report_s']:.2f} s of {r['stages_s']:.1f} s of stage time, "
        f"**{100 * r['share']:.1f} %** (most of it the loudness, read from audio.wav a "
        f"minute at a time); its page is {r['report_html_kb']} kB. The loudness of a "
        f"2-hour track alone: {loud:.1f} s ({time.monotonic() - t0:.0f} s with writing it).",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
