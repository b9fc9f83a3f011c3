"""Which SDH sound tags YAMNet earns, measured on real labelled recordings.

    .venv/bin/python bench/sound_events.py DATA_ROOT      # writes bench/sound_events.md

Its cost section (the stage's CPU seconds on the 87-minute bench feature, against the
pipeline) is bench/sound_cost.py's; --no-cost leaves it out.

DATA_ROOT holds sound-events/ (87 real clips, one label each, labels.tsv), speech-dev/ and
film-dev/ (real speech; film-dev over a 1968 soundtrack with music and effects).

Excerpts, every one scored once by subsmith.sound.yamnet (patch scores, config.yaml's
class->tag table):
- alone: each sound-events clip with 1 s of digital silence before and after it;
- under speech: each event clip inside a stretch of real speech (speech-dev's clips joined,
  and film-dev's), 1 s of speech before and after it, the event at -6 dB and -12 dB
  event-to-speech, and 0 dB for reference (RMS over each signal's active 10 ms frames:
  those within 40 dB of its loudest);
- negatives: sound-events' `speech` and `background` clips, every speech-dev and film-dev
  clip whole.

Clip-level scoring: a tag fires on an excerpt when an event of it overlaps the labelled
span (the event's place in the excerpt; the whole excerpt for a negative), i.e. when a patch overlapping the span scores at least the tag's threshold
(min_event_s 0: merging does not change it). Per tag, precision = hits / all the excerpts
it fired on (other labels' clips and negatives are its false alarms), recall = hits / its
clips.

Thresholds by two-fold cross-validation by clip (never per clip): the clips of each label
(and the negatives) alternate between folds in file order; on one fold, the lowest
threshold of a fixed grid whose precision is at least 0.9 (margin over the 0.8 bar), the
F1-best if none is; scored on the other fold; the two test folds' counts are summed. All
conditions (alone, 0, -6 and -12 dB) and the negatives are pooled for the choice. A tag
meets the bar when its cross-validated precision >= 0.8 and recall >= 0.5 both alone and
under speech (-6 and -12 dB pooled). The threshold shipped in config.yaml is the same rule
on all clips.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import yaml
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sound_cost  # noqa: E402

from subsmith.sound import tags, yamnet  # noqa: E402

RATE = 16000
LEVELS_DB = (0.0, -6.0, -12.0)  # the bar is judged on -6 and -12; 0 dB is shown
GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.96, 0.05)) + (0.97, 0.99)
TARGET_PRECISION = 0.9  # chosen on the training fold, a margin over the bar
BAR_P, BAR_R = 0.8, 0.5
# sound-events labels -> the config's tag names (speech, background: negatives)
LABEL_TAG = {
    "laughter": "laughter",
    "cough": "cough",
    "knocking": "knocking",
    "door_slam": "door_slam",
    "phone_ringing": "phone_ringing",
    "clapping": "applause",
    "dog_barking": "dog_barking",
    "gunshot": "gunshot",
    "siren": "siren",
    "music": "music",
    "crying": "crying",
    "scream": "scream",
}


def load(path: Path) -> np.ndarray:
    x, sr = soundfile.read(str(path), dtype="float32", always_2d=False)
    if x.ndim > 1:
        x = x.mean(axis=1)
    if sr != RATE:
        g = np.gcd(sr, RATE)
        x = resample_poly(x, RATE // g, sr // g).astype(np.float32)
    return x


def active_rms(x: np.ndarray) -> float:
    """RMS over the 10 ms frames within 40 dB of the loudest one."""
    n = len(x) // 160
    if n == 0:
        return float(np.sqrt(np.mean(x**2)) + 1e-12)
    e = (x[: n * 160].reshape(n, 160) ** 2).mean(axis=1)
    keep = e >= e.max() * 1e-4
    return float(np.sqrt(e[keep].mean()) + 1e-12)


@dataclass
class Excerpt:
    name: str  # the clip (or bed) it is made of
    label: str | None  # its tag, None for a negative
    condition: str  # alone | -6 dB | -12 dB | negative
    fold: int
    span: tuple[float, float]  # seconds scored
    tag_max: dict[str, float] | None = None  # tag -> highest score over the span


def spans_patches(n_patches: int, span: tuple[float, float]) -> np.ndarray:
    starts = np.arange(n_patches) * yamnet.PATCH_HOP_SECONDS
    ends = starts + yamnet.PATCH_SECONDS
    return (starts < span[1]) & (ends > span[0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "sound_events.md")
    ap.add_argument("--dump", type=Path, help="also write every excerpt's tag scores (JSON)")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "sound")
    ap.add_argument("--no-cost", action="store_true", help="leave the cost section out")
    args = ap.parse_args(argv)

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    opts = tags.SoundOptions.from_config(cfg)
    rules = {r.name: r for r in opts.tags}
    names = yamnet.class_names()
    cols = {t: r.indices(names) for t, r in rules.items()}

    se = args.data / "sound-events"
    with open(se / "labels.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    clips = [(r["file"], r["label"]) for r in rows]
    by_label: dict[str, list[str]] = {}
    for f, lab in clips:
        by_label.setdefault(lab, []).append(f)
    fold_of = {f: i % 2 for fs in by_label.values() for i, f in enumerate(sorted(fs))}

    speech_files = sorted((args.data / "speech-dev").glob("*.wav"))
    film_files = sorted((args.data / "film-dev").glob("*.wav"))
    beds = {
        "speech-dev": np.concatenate([load(p) for p in speech_files]),
        "film-dev": np.concatenate([load(p) for p in film_files]),
    }

    model = yamnet.YamNet(threads=1)
    excerpts: list[Excerpt] = []
    seconds = 0.0
    model_time = 0.0
    model_cpu = 0.0

    def score(x: np.ndarray, ex: Excerpt) -> None:
        nonlocal seconds, model_time, model_cpu
        t0, c0 = time.perf_counter(), time.process_time()
        s = yamnet.frame_scores(x, model)
        model_time += time.perf_counter() - t0
        model_cpu += time.process_time() - c0
        seconds += len(x) / RATE
        mask = spans_patches(len(s), ex.span)
        ex.tag_max = {t: float(s[mask][:, c].max()) for t, c in cols.items()}
        excerpts.append(ex)

    offsets = {b: 0 for b in beds}
    for f, lab in clips:
        x = load(se / f)
        dur = len(x) / RATE
        tag = LABEL_TAG.get(lab)
        if tag is None:
            score(x, Excerpt(f, None, "negative", fold_of[f], (0.0, dur)))
            continue
        # Alone as in a movie's quiet scene: 1 s of silence either side, so a short event
        # does not sit at the start of the file's only patch (the same place as under
        # speech below).
        pad = np.zeros(RATE, np.float32)
        score(np.concatenate((pad, x, pad)), Excerpt(f, tag, "alone", fold_of[f], (1.0, 1.0 + dur)))
        for bed_name, bed in beds.items():
            need = len(x) + 2 * RATE
            start = offsets[bed_name] % max(1, len(bed) - need)
            offsets[bed_name] += need + 7 * RATE  # a different stretch for each clip
            speech = bed[start : start + need].copy()
            for db in LEVELS_DB:
                gain = active_rms(speech) * 10 ** (db / 20) / active_rms(x)
                mix = speech.copy()
                mix[RATE : RATE + len(x)] += gain * x
                peak = np.abs(mix).max()
                if peak > 0.99:
                    mix *= 0.99 / peak
                score(
                    mix,
                    Excerpt(f"{f}+{bed_name}", tag, f"{db:g} dB", fold_of[f], (1.0, 1.0 + dur)),
                )
    for i, p in enumerate(speech_files + film_files):
        x = load(p)
        bed = "speech-dev" if p in speech_files else "film-dev"
        score(x, Excerpt(f"{bed}/{p.name}", None, "negative", i % 2, (0.0, len(x) / RATE)))

    if args.dump:
        import dataclasses
        import json

        args.dump.write_text(json.dumps([dataclasses.asdict(e) for e in excerpts]))

    def counts(tag: str, thr: float, chosen: list[Excerpt]) -> tuple[int, int, int]:
        tp = sum(1 for e in chosen if e.label == tag and e.tag_max[tag] >= thr)
        fp = sum(1 for e in chosen if e.label != tag and e.tag_max[tag] >= thr)
        pos = sum(1 for e in chosen if e.label == tag)
        return tp, fp, pos

    def pick(tag: str, train: list[Excerpt]) -> float:
        best_f1, best_thr = -1.0, GRID[-1]
        for thr in GRID:
            tp, fp, pos = counts(tag, thr, train)
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / pos if pos else 0.0
            if tp and p >= TARGET_PRECISION:
                return thr
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            if f1 > best_f1:
                best_f1, best_thr = f1, thr
        return best_thr

    groups = {
        "alone": lambda e: e.condition in ("alone", "negative"),
        "under speech": lambda e: e.condition in ("-6 dB", "-12 dB", "negative"),
        "0 dB": lambda e: e.condition in ("0 dB", "negative"),
        "-6 dB": lambda e: e.condition in ("-6 dB", "negative"),
        "-12 dB": lambda e: e.condition in ("-12 dB", "negative"),
    }
    results = {}
    for tag in LABEL_TAG.values():
        thr = {k: pick(tag, [e for e in excerpts if e.fold != k]) for k in (0, 1)}
        row = {"cv_thresholds": (thr[0], thr[1]), "all_threshold": pick(tag, excerpts)}
        for g, keep in groups.items():
            tp = fp = pos = 0
            for k in (0, 1):
                test = [e for e in excerpts if e.fold == k and keep(e)]
                a, b, c = counts(tag, thr[k], test)
                tp, fp, pos = tp + a, fp + b, pos + c
            row[g] = (tp, fp, pos)
        p_r = {}
        for g in ("alone", "under speech"):
            tp, fp, pos = row[g]
            p_r[g] = (tp / (tp + fp) if tp + fp else float("nan"), tp / pos if pos else 0.0)
        row["meets"] = all(p >= BAR_P and r >= BAR_R for p, r in p_r.values())
        results[tag] = row

    # The false tags on the clean negatives with the shipped thresholds of the tags that
    # meet the bar (what the stage would write over dialogue).
    negatives = [e for e in excerpts if e.condition == "negative"]
    on = [t for t, r in results.items() if r["meets"]]
    false_on = [
        (e.name, t) for e in negatives for t in on if e.tag_max[t] >= results[t]["all_threshold"]
    ]
    false_all = {
        t: sum(1 for e in negatives if e.tag_max[t] >= results[t]["all_threshold"]) for t in results
    }

    def pct(a: int, b: int) -> str:
        return f"{a / b:.2f}" if b else "n/a"

    neg_secs = sum(e.span[1] - e.span[0] for e in negatives)
    lines = [
        "# Sound events: which SDH tags YAMNet earns (bench/sound_events.py)",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on "
        f"{platform.processor() or platform.machine()}, one onnxruntime thread; "
        f"model: {yamnet.model_label()}.",
        "",
        f"{len(clips)} real clips of sound-events/ "
        f"({sum(1 for e in excerpts if e.condition == 'alone')} tagged events, "
        f"{sum(1 for _, lab in clips if lab not in LABEL_TAG)} negatives), each event also "
        "inside real speech (speech-dev's clips joined, and film-dev's) at 0, -6 and -12 dB "
        f"event-to-speech: {len(excerpts)} excerpts, {seconds / 60:.1f} min of audio. "
        f"Negatives: {len(negatives)} excerpts, {neg_secs / 60:.1f} min (sound-events "
        "speech + background, every speech-dev and film-dev clip whole).",
        "",
        f"**Speed** (short excerpts, {yamnet.BATCH} patches per model call): "
        f"{model_cpu:.1f} CPU s ({model_time:.1f} s wall, on a shared machine) for "
        f"{seconds / 60:.1f} min: {model_cpu / (seconds / 3600):.1f} CPU s per audio hour "
        "(front end + model, one thread). The stage on a whole movie: the cost section.",
        "",
        "Clip-level, thresholds by 2-fold cross-validation by clip (the method is in the "
        "script's docstring). P = precision (its false alarms are other labels' clips and "
        "the negatives of the same condition), R = recall; hits/fired/clips in brackets. "
        f"The bar: P >= {BAR_P} and R >= {BAR_R}, alone and under speech.",
        "",
        "| tag | thr (folds) | alone P | alone R | 0 dB P | 0 dB R | -6 dB P | -6 dB R "
        "| -12 dB P | -12 dB R | under speech (-6, -12) P / R | meets the bar | shipped thr "
        "| false tags on negatives |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for tag, r in results.items():
        cells = [f"`{tag}`", f"{r['cv_thresholds'][0]} / {r['cv_thresholds'][1]}"]
        for g in ("alone", "0 dB", "-6 dB", "-12 dB"):
            tp, fp, pos = r[g]
            cells += [f"{pct(tp, tp + fp)} ({tp}/{tp + fp})", f"{pct(tp, pos)} ({tp}/{pos})"]
        tp, fp, pos = r["under speech"]
        cells.append(f"{pct(tp, tp + fp)} / {pct(tp, pos)}")
        cells.append("**yes**" if r["meets"] else "no")
        cells.append(str(r["all_threshold"]))
        cells.append(f"{false_all[tag]} / {len(negatives)}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Tags that meet the bar: {', '.join(f'`{t}`' for t in on) or 'none'}.",
        "",
        f"False tags over the clean negatives from those tags at their shipped thresholds: "
        f"{len(false_on)}"
        + (": " + ", ".join(f"{n} -> {t}" for n, t in false_on) if false_on else "")
        + ".",
        "",
        "## Reading",
        "",
        "- Alone (a quiet scene), most tags find their clips (recall >= 0.5) but several "
        "fire on other labels' clips too: laughter, door slam and scream fall under 0.8 "
        "precision; knocking, gunshot, dog barking, phone, music and crying reach about 0.8 "
        "or more.",
        "- Under real speech the tagger goes deaf to most events, even at 0 dB: YAMNet "
        "scores a 0.96 s patch, most likely owned by the speech in it. Short impulsive sounds (knock, "
        "door slam, cough, gunshot) vanish (a knock inside speech-dev speech was not found "
        "even 20 dB above the speech); only long, tonal, harmonic sounds survive: crying, "
        "and the phone bell at 0 and -6 dB (not at -12 dB).",
        "- Music: film-dev's own 1968 soundtrack music scores Music up to 0.82 on the "
        "'clean speech' negatives, so the threshold that keeps false alarms down is 0.95 "
        "and leaves the street musicians half found alone, lost under speech.",
        "- explosion and glass have no clips here (the table keeps them, off, unmeasured).",
        "- So only the tags in 'meets the bar' are on in config.yaml; the others keep their "
        "shipped (all-clips) threshold, off. A tag to turn on later needs a tagger that "
        "hears events under dialogue, or a bar judged on quiet scenes only.",
        "- The fold thresholds of several tags disagree widely (dog barking 0.35 / 0.97): "
        "with 5-7 clips a label, one clip moves them; the figures are rough.",
        "- The sound_events stage stays off by default (`sound_events.enabled: false`): "
        "one tag earns the bar, and the SDH subtitle it feeds is for those who ask for it.",
        "",
        *([] if args.no_cost else sound_cost.section(args.data, args.work, load)),
        "## Per excerpt (the tags that fired at the shipped thresholds)",
        "",
        "| excerpt | label | condition | fired |",
        "|---|---|---|---|",
    ]
    for e in excerpts:
        fired = [t for t in results if e.tag_max[t] >= results[t]["all_threshold"]]
        lines.append(
            f"| {e.name} | {e.label or '(negative)'} | {e.condition} | {', '.join(fired)} |"
        )
    args.out.write_text("\n".join(lines) + "\n")
    print(
        "\n".join(
            lines[: lines.index("## Per excerpt (the tags that fired at the shipped thresholds)")]
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
