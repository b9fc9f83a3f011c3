"""The SDH subtitle end to end (issue 34): a generated movie with espeak-ng dialogue and
sounds the real YAMNet model tags, through the real workflow with sound_events on.

The sounds are made here, not recorded: a telephone ring (the US cadence, 440 + 480 Hz),
a crying voice (harmonic wails rising and falling) and a music bed (piano-like chords).
YAMNet tags these three from generated audio; a door slam (a thump and noise burst),
knocking, an espeak-ng "ha ha ha" (laughter) and a siren sweep did not reach their tags
(Silence, Music or Speech on top), so they are not in this movie: real recordings of those
are, in tests/test_sdh_real_sounds.py."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sdh_movie import NEEDS_YAMNET, assert_tags_at_sounds, run_movie, scene

from conftest import read_manifest, subtitle_text
from subsmith import demo
from subsmith.media import probe as media
from subsmith.subtitles.sdh import sound_line

pytestmark = NEEDS_YAMNET

RATE = demo.RATE
# The tags this movie's sounds reach, with the thresholds they reach them at: the ring
# scores 0.999 (shipped 0.2), the generated crying 0.3-0.7 a patch (shipped 0.35), the
# chords 0.8-1.0 (shipped 0.95, set for film scores under real speech: bench/sound_events.md).
TAGS = {
    "phone_ringing": {"enabled": True},
    "crying": {"enabled": True, "threshold": 0.3},
    "music": {"enabled": True, "threshold": 0.8},
}
TOLERANCE_S = 0.5
KEY = "Night Call (2011)/Night Call (2011)"  # in/<folder>/<movie>.mkv -> out/<folder>/<movie>/
# The tags' texts in config.yaml (the SDH writes them in its style: sdh.sound_line).
TAG_TEXT = {"phone_ringing": "[phone ringing]", "crying": "[crying]", "music": "♪ music ♪"}


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * RATE)) / RATE


def ring(seconds: float = 2.0) -> np.ndarray:
    """One ring of a US telephone: 440 + 480 Hz together."""
    x = _t(seconds)
    return (0.3 * (np.sin(2 * np.pi * 440 * x) + np.sin(2 * np.pi * 480 * x))).astype(np.float32)


def crying(seconds: float = 5.0, seed: int = 0) -> np.ndarray:
    """Wails of 0.7 s every second: a rough harmonic voice rising from 350 to 500 Hz and
    back, with a quiver and a 45 Hz roughness, and a little breath noise (found by a
    search over such wails: the one YAMNet scores as crying most steadily)."""
    rng = np.random.default_rng(seed)
    x = _t(seconds)
    out = np.zeros_like(x)
    for k in np.arange(0, seconds - 0.7 + 1e-9, 1.0):
        seg = (x >= k) & (x < k + 0.7)
        xx = x[seg] - k
        f0 = 350 + 150 * np.sin(np.pi * xx / 0.7) + 20 * np.sin(2 * np.pi * 6 * xx)
        f0 += rng.normal(0, 8, len(xx))
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        voice = sum(np.sin(h * phase) / h**0.8 for h in range(1, 8))
        rough = 1 + 0.6 * np.sin(2 * np.pi * 45 * xx)
        out[seg] = voice * rough * np.sin(np.pi * xx / 0.7) ** 0.5
    out += 0.02 * rng.normal(size=len(x)) * (out != 0)
    return (0.2 * out / np.abs(out).max()).astype(np.float32)


def chords(seconds: float = 6.0) -> np.ndarray:
    """A music bed: one struck chord a second (C, Am, F, G), five partials a note, a bass."""
    x = _t(seconds)
    out = np.zeros_like(x)
    progression = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6)]
    progression += [(196.0, 246.9, 293.7)]
    for k in range(int(seconds)):
        seg = (x >= k) & (x < k + 1)
        xx = x[seg] - k
        env = np.exp(-xx * 2.5)
        notes = progression[k % 4]
        for f in notes:
            out[seg] += sum(env * np.sin(2 * np.pi * f * h * xx) / h**1.5 for h in range(1, 6))
        out[seg] += 0.6 * env * np.sin(np.pi * notes[0] * xx)
    return (0.15 * out).astype(np.float32)


@pytest.fixture(scope="module")
def sdh_run(tmp_path_factory):
    """One real run of the workflow, sound_events on, final.mkv and the sidecars beside
    the movie: a line, a ring, a line, crying, a line, music."""
    work = tmp_path_factory.mktemp("sdh")
    audio, sounds = scene([("phone_ringing", ring()), ("crying", crying()), ("music", chords())])
    movie = work / "in" / "Night Call (2011)" / "Night Call (2011).mkv"
    # the generated crying scores unevenly from wail to wail: its runs join over 2 s
    run_movie(work, movie, audio, {"enabled": True, "merge_gap_s": 2.0, "tags": TAGS})
    return {"work": work, "movie": movie, "sounds": sounds}


def test_the_sdh_sidecar_holds_the_tags_at_their_sounds(sdh_run):
    events = sdh_run["work"] / "out" / KEY / "events" / "sound_events.json"
    assert_tags_at_sounds(sdh_run["movie"], events, sdh_run["sounds"], TAG_TEXT, TOLERANCE_S)


def test_the_normal_subtitle_has_no_tags(sdh_run):
    text = sdh_run["movie"].with_name("Night Call (2011).en.srt").read_text()
    assert "[" not in text and "♪" not in text and "morning" in text.lower()


def test_final_mkv_has_the_sdh_track_flagged_hearing_impaired(sdh_run):
    d = sdh_run["work"] / "out" / KEY
    mkv = d / "final.mkv"
    subs = [s for s in media.probe(mkv)["streams"] if s["codec_type"] == "subtitle"]
    assert len(subs) == 2
    normal, sdh = subs
    assert not normal["disposition"].get("hearing_impaired")
    assert sdh["disposition"]["hearing_impaired"] == 1 and not sdh["disposition"]["default"]
    assert sdh["tags"]["title"] == "English SDH" and sdh["tags"]["language"] == "eng"
    text = subtitle_text(mkv, sdh["index"])
    for s in sdh_run["sounds"]:
        assert sound_line(TAG_TEXT[s["tag"]]) in text
    assert "[" not in subtitle_text(mkv, normal["index"])
    steps = read_manifest(sdh_run["work"], KEY)["pipeline"]["steps"]
    assert steps["sound_events"]["status"] == "success"
    assert "SDH: 3 sound tags" in steps["srt_generation"]["notes"]
    published = json.loads((d / "published.json").read_text())
    assert {p["format"] for p in published["published"]} == {"srt", "sdh.srt"}
