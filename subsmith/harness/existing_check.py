"""existing: check: does the subtitle a movie already has fit the speech in it?

For a movie that already has a full subtitle in the language (subsmith/harness/existing.py),
`existing: check` runs demux and silero_vad only (no asr) and compares that subtitle's
cues with Silero's speech regions, without changing anything:

- over_speech: the share of its cues over speech as they are (a cue counts when speech
  fills at least MIN_CUE_SPEECH of it: a cue stays up longer than the words, for reading);
- offset: the constant shift that lays its cues best over the speech, found by
  cross-correlating cue-on/off with speech activity at STEP (10 ms) resolution over
  +-SEARCH seconds (positive: the subtitle comes late). Among shifts whose overlap is
  within 2% of the best, the one whose cue starts meet the most speech starts wins (a
  cue is longer than its speech, so overlap alone leaves a plateau);
- drift: the slope of the offsets of consecutive parts of the film (a subtitle timed
  for another frame rate runs away, 25 vs 23.976 fps is 4%), as seconds over the span
  of its cues; None with fewer than MIN_CUES_FOR_DRIFT cues;
- lift: how much better its cues meet speech at the best offset than at a typical one
  (the median over the searched shifts). The subtitle of another movie lines up with
  this one's speech no better at one shift than at any other.

It fits when over_speech >= MIN_OVER_SPEECH, |offset| <= MAX_OFFSET, |drift| <=
MAX_DRIFT and lift >= MIN_LIFT. The subtitle is read as text: a sidecar .srt by the
project's own SRT reader (any encoding), any other text format (ASS, WebVTT, an embedded
track) converted to SRT by ffmpeg first; an image subtitle (PGS, VobSub) has no text
timing here and is reported unchecked.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import StageError
from ..core.jsonio import read_json
from ..media.probe import ffmpeg_path, last_line

STEP = 0.01  # seconds per frame of the activity signals
SEARCH = 60.0  # +- seconds searched for the offset (at most half the film)
MIN_CUE_SPEECH = 0.3  # a cue is "over speech" when speech fills this share of it
MIN_OVER_SPEECH = 0.6
MAX_OFFSET = 0.5  # seconds
MAX_DRIFT = 0.5  # seconds over the span of the cues
MIN_LIFT = 0.3
MIN_CUES_FOR_DRIFT = 10
PART_SEARCH = 5.0  # +- seconds around the film's offset searched for a part's offset
IMAGE_CODECS = frozenset({"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub"})
RESULT = "existing_check.json"  # out/<movie>/
STAGE = "existing_check"  # its rule, and its status file out/<movie>/.status/<STAGE>.json


def read_cues(
    subtitle: Mapping[str, Any], movie: str | os.PathLike[str], timeout: float | None = None
) -> list[tuple[float, float]]:
    """(start, end) in seconds of the cues of the existing subtitle: {"sidecar": path}
    or {"stream": index, "codec": name} of `movie`. StageError names what cannot be read."""
    from ..subtitles.srt import SrtParseError, decode_subtitle_bytes, parse_srt

    if "sidecar" in subtitle:
        path = Path(subtitle["sidecar"])
        if path.suffix.lower() == ".sup":
            raise StageError(f"{path}: an image subtitle (PGS): its timing cannot be read as text")
        if path.suffix.lower() == ".srt":
            text, _ = decode_subtitle_bytes(path.read_bytes())
        else:
            text = _to_srt(path, None, timeout)
        where = str(path)
    else:
        if subtitle.get("codec") in IMAGE_CODECS:
            raise StageError(
                f"{movie}: stream #{subtitle['stream']} is an image subtitle "
                f"({subtitle['codec']}): its timing cannot be read as text"
            )
        text = _to_srt(Path(movie), int(subtitle["stream"]), timeout)
        where = f"{movie} (stream #{subtitle['stream']})"
    try:
        cues = parse_srt(text)
    except SrtParseError as exc:
        raise StageError(f"{where}: cannot read it as a subtitle ({exc})") from None
    return [(c.start, c.end) for c in cues if c.end > c.start]


def _to_srt(path: Path, stream: int | None, timeout: float | None) -> str:
    """The subtitle (a file, or stream #`stream` of a movie) as SRT text, by ffmpeg."""
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", ffmpeg_path(path)]
    cmd += ["-map", f"0:{stream}" if stream is not None else "0:s:0", "-f", "srt", "-"]
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise StageError(f"{path}: reading its subtitle took over {timeout} s") from None
    if done.returncode != 0:
        raise StageError(
            f"{path}: ffmpeg cannot read the subtitle ({last_line(done.stderr) or 'failed'})"
        )
    return done.stdout.decode("utf-8", errors="replace")


def _activity(spans: Sequence[tuple[float, float]], n: int) -> np.ndarray:
    out = np.zeros(n, np.float64)
    for start, end in spans:
        a, b = max(0, round(start / STEP)), min(n, round(end / STEP))
        if b > a:
            out[a:b] = 1.0
    return out


def _onsets(spans: Sequence[tuple[float, float]], n: int, width: int = 10) -> np.ndarray:
    """Each span's start as a triangle of +-`width` frames (speech starts are not exact)."""
    out = np.zeros(n, np.float64)
    kernel = 1.0 - np.abs(np.arange(-width, width + 1)) / (width + 1)
    for start, _ in spans:
        a = round(start / STEP)
        lo, hi = max(0, a - width), min(n, a + width + 1)
        if hi > lo:
            out[lo:hi] = np.maximum(out[lo:hi], kernel[lo - (a - width) : hi - (a - width)])
    return out


def _xcorr(cue: np.ndarray, speech: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """r[d - lo] = sum_t cue[t] * speech[t - d] for d in lo..hi (the cues late by d)."""
    n = 1 << int(np.ceil(np.log2(len(cue) + len(speech))))
    r = np.fft.irfft(np.fft.rfft(cue, n) * np.conj(np.fft.rfft(speech, n)), n)
    return np.array([r[d % n] for d in range(lo, hi + 1)])


def _best(
    cues: Sequence[tuple[float, float]],
    speech: Sequence[tuple[float, float]],
    n: int,
    lo: int,
    hi: int,
) -> tuple[int, np.ndarray]:
    """The best shift in frames (lo..hi) and the overlap r(d) over that range."""
    overlap = np.rint(_xcorr(_activity(cues, n), _activity(speech, n), lo, hi))
    onset = _xcorr(_onsets(cues, n), _onsets(speech, n), lo, hi)
    near = np.flatnonzero(overlap >= 0.98 * overlap.max())
    shifts = near + lo
    order = np.lexsort((np.abs(shifts), -np.round(onset[near], 6)))
    return int(shifts[order[0]]), overlap


def over_speech(
    cues: Sequence[tuple[float, float]], speech: Sequence[tuple[float, float]]
) -> float:
    """Share of the cues that speech fills at least MIN_CUE_SPEECH of, as they are."""
    starts = np.array([s for s, _ in speech] or [0.0])
    ends = np.array([e for _, e in speech] or [0.0])
    hit = 0
    for a, b in cues:
        covered = np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0, None).sum()
        hit += int(covered >= MIN_CUE_SPEECH * (b - a))
    return hit / len(cues) if cues else 0.0


def fit(
    cues: Sequence[tuple[float, float]],
    speech: Sequence[tuple[float, float]],
    duration: float,
) -> dict[str, Any]:
    """The figures and the verdict for `cues` against `speech` (seconds, movie's clock)."""
    cues = sorted(cues)
    if not cues:
        return {"fits": False, "cues": 0, "why": "it has no cues"}
    if not speech:
        return {"fits": None, "cues": len(cues), "why": "Silero found no speech to compare with"}
    end = max(duration, cues[-1][1], speech[-1][1])
    n = int(np.ceil(end / STEP)) + 1
    search = int(min(SEARCH, end / 2) / STEP)
    best, overlap = _best(cues, speech, n, -search, search)
    lift = _lift(overlap, cues, n)
    drift, part_lift = _drift(cues, speech, n, best)
    lift = max(lift, part_lift)  # a drifting subtitle lines up part by part
    figures = {
        "cues": len(cues),
        "over_speech": round(float(over_speech(cues, speech)), 3),
        "offset": round(best * STEP, 2),
        "drift": None if drift is None else round(drift, 2),
        "lift": round(lift, 3),
    }
    why = []
    if figures["over_speech"] < MIN_OVER_SPEECH:
        why.append(f"only {figures['over_speech']:.0%} of its cues are over speech")
    if lift < MIN_LIFT:
        why.append("no shift lays its cues on the speech (another movie's subtitle?)")
    elif abs(figures["offset"]) > MAX_OFFSET:
        why.append(f"it is {abs(figures['offset']):.2f} s {_late(figures['offset'])}")
    if drift is not None and abs(drift) > MAX_DRIFT and lift >= MIN_LIFT:
        why.append(f"it drifts {drift:+.2f} s over the film (another frame rate?)")
    return {"fits": not why, **figures, "why": "; ".join(why)}


def _late(offset: float) -> str:
    return "late" if offset > 0 else "early"


def _lift(overlap: np.ndarray, cues: Sequence[tuple[float, float]], n: int) -> float:
    """Share of cue time over speech at the best shift less that at the median shift."""
    cue_frames = float(_activity(cues, n).sum()) or 1.0
    return float(overlap.max() - np.median(overlap)) / cue_frames


def _drift(
    cues: list[tuple[float, float]], speech: Sequence[tuple[float, float]], n: int, best: int
) -> tuple[float | None, float]:
    """Slope of the parts' offsets (a least-squares line) times the span of the cues,
    and the parts' median lift (0.0 with too few cues for parts)."""
    if len(cues) < MIN_CUES_FOR_DRIFT:
        return None, 0.0
    parts = np.array_split(np.arange(len(cues)), max(2, min(10, len(cues) // 5)))
    width = int(PART_SEARCH / STEP)
    centres, offsets, lifts = [], [], []
    for part in parts:
        group = [cues[i] for i in part]
        shift, overlap = _best(group, speech, n, best - width, best + width)
        centres.append((group[0][0] + group[-1][1]) / 2)
        offsets.append(shift * STEP)
        lifts.append(_lift(overlap, group, n))
    slope = float(np.polyfit(centres, offsets, 1)[0])
    return slope * (cues[-1][1] - cues[0][0]), float(np.median(lifts))


def check(
    subtitle: Mapping[str, Any],
    movie: str | os.PathLike[str],
    segments: str | os.PathLike[str],
    pad: float = 0.0,
    timeout: float | None = None,
) -> dict[str, Any]:
    """existing_check.json: which subtitle, the figures and whether it fits. A subtitle
    that cannot be read as text is reported (fits: null, why), not an error. `pad`:
    the seconds silero_vad added before and after each region (speech_pad_ms), taken
    off again: a cue starts where the words do."""
    seg = read_json(segments) or {}
    speech = [
        (float(r["start"]) + pad, float(r["end"]) - pad)
        for r in seg.get("speech") or []
        if float(r["end"]) - float(r["start"]) > 2 * pad
    ]
    base = {"subtitle": describe(subtitle), "speech_seconds": seg.get("speech_seconds")}
    try:
        cues = read_cues(subtitle, movie, timeout)
    except (StageError, OSError) as exc:
        return {**base, "fits": None, "why": f"cannot check it: {exc}"}
    return {**base, **fit(cues, speech, float(seg.get("duration") or 0.0))}


def describe(subtitle: Mapping[str, Any]) -> str:
    if "sidecar" in subtitle:
        return Path(subtitle["sidecar"]).name
    return f"stream #{subtitle.get('stream')} ({subtitle.get('codec') or '?'})"


def summary(result: Mapping[str, Any]) -> str:
    """One line for the manifest: fits / does not fit, with the figures."""
    name = result.get("subtitle") or "the existing subtitle"
    if result.get("fits") is None:
        return f"existing subtitle {name} not checked: {result.get('why')} (existing: check)"
    verdict = "fits" if result["fits"] else "does not fit"
    figures = []
    if result.get("over_speech") is not None:
        figures.append(f"{result['over_speech']:.0%} of {result['cues']} cues over speech")
        figures.append(f"offset {result['offset']:+.2f} s")
        drift = result.get("drift")
        figures.append("drift n/a" if drift is None else f"drift {drift:+.2f} s")
    why = f" ({result['why']})" if result.get("why") else ""
    return f"existing subtitle {name} {verdict}: {', '.join(figures)}{why} (existing: check)"
