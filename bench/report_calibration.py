"""Does the report point at the errors? (issue 33)

Two questions, over every real recording with a reference (speech-dev: read speech,
exact transcripts; film-dev: film dialogue, silver ones; their READMEs), for each model
bench/real_decode.py cached (tiny.en, base; run it first):

1. Per movie: does the estimate rank recordings by how good their subtitles are?
   Spearman's rank correlation between the estimate and 1 - WER of the cues' text.
2. Per cue: do the flagged cues hold the word errors? The issue's bar: the flagged cues
   hold at least half of the word errors while being at most a fifth of the cues.

Each recording is one movie: its cached transcript (the asr stage's decoding) through
srt_generation's own function (subsmith.srt_generation.make_cues, shipped rules and
hallucination filter), then subsmith.report.quality.assess. Word errors per cue: each
cue's text goes through Whisper's English normaliser on its own (so every word keeps
its cue), the reference through the same normaliser, and jiwer aligns the two; a
substitution or an insertion belongs to the cue holding its hypothesis words, a
deletion to the cue around it (half to each neighbour when it falls between two cues;
to no cue when the recording has none).

The per-cue thresholds are chosen by cross-validation across the two corpora:
a grid of the thresholds, the setting that holds the most errors while flagging at most
a fifth of the cues on one corpus (both models pooled), scored on the other corpus.
Nothing is fitted on both corpora together.

    .venv/bin/python bench/report_calibration.py [--cache bench/work/real]
    # writes bench/report_calibration.md and bench/report_calibration.png
"""

from __future__ import annotations

import argparse
import itertools
import json
from contextlib import contextmanager
from pathlib import Path

from common import BENCH, CONFIG

from subsmith import srt_generation, subtitles
from subsmith.report import quality
from subsmith.report.movie import Movie

WORK = BENCH / "work" / "real"
CORPORA = ("speech-dev", "film-dev")
MAX_FLAGGED = 0.20  # the bar: at most a fifth of the cues ...
MIN_ERRORS = 0.50  # ... holding at least half of the word errors
# The per-cue thresholds the cross-validation may move, and the values it tries.
GRID = {
    "CUE_UNSURE_WORD": [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5],
    "CUE_LOW": [0.4, 0.5, 0.6, 0.7],
    "LOW_LOGPROB": [-1.0, -0.8, -0.6],
}


def normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


@contextmanager
def thresholds(values: dict[str, float]):
    """quality.py's thresholds set to `values` for the duration (assess reads them)."""
    old = {k: getattr(quality, k) for k in values}
    for k, v in values.items():
        setattr(quality, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(quality, k, v)


def load(model: str, key: str, rules) -> Movie:
    transcript = json.loads((WORK / model / f"{key}.json").read_text())
    speech = json.loads((WORK / "silero" / f"{key}.json").read_text())["speech"]
    made = srt_generation.make_cues(transcript["segments"], speech, rules)
    return Movie(
        name=key,
        movie_dir=WORK,
        duration=max([speech[-1]["end"] if speech else 1.0, *(c.end for c in made.cues)]),
        media={},
        speech=speech,
        diarization={},
        transcript=transcript,
        corrections=[],
        cues=made.cues,
        steps={"srt_generation": {"notes": "; ".join(made.notes)}},
    )


def cue_errors(ref: str, cue_texts: list[str], norm) -> tuple[list[float], float, int]:
    """(word errors per cue, errors in no cue, reference words)."""
    import jiwer

    hyp: list[tuple[str, int]] = []
    for i, text in enumerate(cue_texts):
        hyp += [(w, i) for w in norm(text.replace("- ", " ")).split()]
    ref_words = norm(ref).split()
    per = [0.0] * len(cue_texts)
    if not hyp:
        return per, float(len(ref_words)), len(ref_words)
    out = jiwer.process_words(" ".join(ref_words), " ".join(w for w, _ in hyp))
    lost = 0.0
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            continue
        if chunk.type in ("substitute", "insert"):
            # one error per hypothesis word (jiwer pairs a substitution one to one)
            for j in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                per[hyp[j][1]] += 1
            continue
        n = chunk.ref_end_idx - chunk.ref_start_idx  # deleted reference words
        j = chunk.hyp_start_idx  # the hypothesis word after the gap
        before = hyp[j - 1][1] if j > 0 else None
        after = hyp[j][1] if j < len(hyp) else None
        if before is None and after is None:
            lost += n
        elif before is None or after is None or before == after:
            per[before if after is None else after] += n
        else:
            per[before] += n / 2
            per[after] += n / 2
    return per, lost, len(ref_words)


def measure(models: list[str]) -> dict:
    """Per model and recording: the estimate, the WER, and per cue its features and errors."""
    import jiwer

    refs = json.loads((WORK / "references.json").read_text())
    rules = subtitles.SubtitleRules.from_config(CONFIG["srt_generation"])
    norm = normaliser()
    data: dict = {}
    for model in models:
        for key in sorted(refs):
            if key.split("/")[0] not in CORPORA:
                continue
            movie = load(model, key, rules)
            texts = [" ".join(c.lines) for c in movie.cues]
            per, lost, n_ref = cue_errors(refs[key], texts, norm)
            hyp = norm(" ".join(texts).replace("- ", " "))
            wer = jiwer.wer(norm(refs[key]), hyp) if hyp.strip() else 1.0
            data[(model, key)] = {"movie": movie, "errors": per, "lost": lost, "ref": n_ref}
            data[(model, key)]["wer"] = wer
    return {"data": data, "rules": rules}


def is_flagged(flags: list[str], reading: bool) -> bool:
    """A cue flagged for its words (reading=False: a reading-speed flag alone says
    nothing about the words) or for any reason."""
    return any(reading or not f.startswith("fast") for f in flags)


def flag_counts(
    m: dict, keys: list, values: dict[str, float] | None = None, reading: bool = False
) -> dict:
    """Cues, flagged cues, word errors, errors in flagged cues, over `keys`."""
    cues = flagged = 0
    errs = in_flagged = 0.0
    with thresholds(values or {}):
        for k in keys:
            d = m["data"][k]
            q = quality.assess(d["movie"], m["rules"].max_cps)
            cues += len(q.cues)
            errs += sum(d["errors"]) + d["lost"]
            for c, e in zip(q.cues, d["errors"], strict=True):
                if is_flagged(c.flags, reading):
                    flagged += 1
                    in_flagged += e
    return {"cues": cues, "flagged": flagged, "errors": errs, "in_flagged": in_flagged}


def shares(c: dict) -> tuple[float, float]:
    return c["flagged"] / max(1, c["cues"]), c["in_flagged"] / max(1e-9, c["errors"])


def fit(m: dict, keys: list) -> dict[str, float]:
    """The grid's setting that holds the most errors in at most MAX_FLAGGED of the cues
    over `keys` (ties: fewer cues flagged, then the setting nearest the shipped one)."""
    best, best_score = None, None
    names = list(GRID)
    for combo in itertools.product(*GRID.values()):
        values = dict(zip(names, combo, strict=True))
        flagged, held = shares(flag_counts(m, keys, values))
        if flagged > MAX_FLAGGED:
            continue
        score = (round(held, 6), -flagged)
        if best_score is None or score > best_score:
            best, best_score = values, score
    return best or {k: getattr(quality, k) for k in names}


def spearman(xs: list[float], ys: list[float]) -> str:
    from scipy.stats import spearmanr

    if len(set(xs)) < 2:
        return "constant"
    return f"{float(spearmanr(xs, ys).statistic):+.2f}"


def keys_of(m: dict, model: str | None, corpus: str | None) -> list:
    return [
        k
        for k in m["data"]
        if (model is None or k[0] == model) and (corpus is None or k[1].startswith(corpus + "/"))
    ]


def cue_row(
    m: dict, label: str, keys: list, values=None, reading: bool = False
) -> tuple[str, tuple[float, float]]:
    c = flag_counts(m, keys, values, reading)
    f, h = shares(c)
    ok = "yes" if f <= MAX_FLAGGED and h >= MIN_ERRORS else "no"
    return (
        f"| {label} | {c['cues']} | {c['flagged']} ({f:.0%}) | {c['errors']:.0f} "
        f"| {c['in_flagged']:.1f} ({h:.0%}) | {ok} |",
        (f, h),
    )


def plot(points: list[tuple[str, float, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6), dpi=100)
    ax.axvspan(0, MAX_FLAGGED, ymin=MIN_ERRORS, ymax=1, color="#e3f4e1", label="the bar")
    marks = {"tiny.en": "o", "base": "s"}
    colours = {"speech-dev": "#1f77b4", "film-dev": "#d62728"}
    for label, f, h in points:
        model, corpus, which = label.split(" | ")
        ax.scatter(
            f,
            h,
            marker=marks.get(model, "^"),
            s=60,
            facecolors=colours[corpus] if which.startswith("held out") else "none",
            edgecolors=colours[corpus],
            label=f"{model}, {corpus}, {which}",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("share of cues flagged")
    ax.set_ylabel("share of word errors in flagged cues")
    ax.plot([0, 1], [0, 1], color="#bbb", lw=0.8, ls="--")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Flagged cues against word errors (real recordings)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    p.add_argument("--out", type=Path, default=BENCH / "report_calibration.md")
    p.add_argument("--cache", type=Path, help="bench/real_decode.py's cache (bench/work/real)")
    args = p.parse_args(argv)
    global WORK
    WORK = args.cache or WORK
    m = measure(args.models)
    shipped = {k: getattr(quality, k) for k in GRID}
    out = [
        "# Report calibration: the estimate and the flags against measured errors",
        "",
        "`python bench/real_decode.py ../shared/data` then `python bench/report_calibration.py`"
        " (its docstring says how). Every real recording with a reference:"
        " speech-dev (31, read speech, exact transcripts) and film-dev (10, 1968 film"
        " dialogue; its references are silver, written by a larger ASR model, so a few"
        " percent of its 'errors' are the reference's). Each recording is one movie: the"
        " cached decoding (shipped asr settings, int8 on CPU), srt_generation's"
        " `make_cues`, then `subsmith.report.quality.assess`. Word errors after Whisper's"
        " English normaliser (jiwer).",
        "",
        "## Per movie: does the estimate rank recordings?",
        "",
        "Spearman's rank correlation between the estimate and 1 - WER (the issue asks for"
        " 0.6 or more). Each recording is one passage, all of it heard: coverage is 1 nearly"
        " everywhere, so the estimate ranks by confidence. Read speech is mostly decoded"
        " without an error, so its ranking rests on a few errors each; the pooled figure"
        " also ranks the two sets against each other.",
        "",
        "| model | all | speech-dev | film-dev | mean WER speech-dev | mean WER film-dev |",
        "|---|---|---|---|---|---|",
    ]
    for model in args.models:
        cells = []
        for corpus in (None, *CORPORA):
            ks = keys_of(m, model, corpus)
            est = [m["data"][k]["movie"] for k in ks]
            qs = [quality.assess(mv, m["rules"].max_cps).estimate or 0.0 for mv in est]
            cells.append(f"{spearman(qs, [1 - m['data'][k]['wer'] for k in ks])} ({len(ks)})")
        wers = [
            sum(m["data"][k]["wer"] for k in keys_of(m, model, c)) / len(keys_of(m, model, c))
            for c in CORPORA
        ]
        out.append(f"| {model} | {' | '.join(cells)} | {wers[0]:.1%} | {wers[1]:.1%} |")
    out += [
        "",
        "## Per cue: do the flagged cues hold the errors?",
        "",
        "The bar: the flagged cues hold at least half of the word errors while being at most"
        ' a fifth of the cues. "Word flags" are quality.py\'s reasons about the words (an'
        " unsure word, a low mean, a doubted segment, maybe no speech, repetition, a"
        ' corrected name); "all flags" adds reading too fast, which says nothing about'
        " the words (film dialogue is fast: a quarter of film-dev's cues are over 20 cps)."
        " Errors per cue: the script's docstring (a deletion between two cues counts half to"
        " each). Both models' figures are over the same recordings.",
        "",
        "### Cross-validation across the two corpora (held out)",
        "",
        "The per-cue thresholds fitted on one corpus (both models pooled): of the grid "
        + "; ".join(f"`{k}` in {v}" for k, v in GRID.items())
        + f", the setting whose word flags hold the most errors while flagging at most"
        f" {MAX_FLAGGED:.0%} of that corpus's cues; then scored on the other corpus, which"
        " it never saw. `LOW_LOGPROB` did not move (both fits kept -1, the first of its"
        " values: no other held more errors).",
        "",
        "| fitted on (in-sample: flagged, errors held) | setting | held out: model, corpus "
        "| cues | flagged | word errors | in flagged cues | bar met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    points = []
    fitted = {}
    for train, test in (CORPORA, CORPORA[::-1]):
        values = fit(m, keys_of(m, None, train))
        fitted[train] = values
        tr = shares(flag_counts(m, keys_of(m, None, train), values))
        setting = ", ".join(f"`{k}` {v:g}" for k, v in values.items())
        for model in args.models:
            row, (f, h) = cue_row(m, f"{model}, {test}", keys_of(m, model, test), values)
            out.append(f"| {train} ({tr[0]:.0%}, {tr[1]:.0%}) | {setting} {row}")
            points.append((f"{model} | {test} | held out (fit on {train})", f, h))
    out += [
        "",
        "Neither fold meets the bar on the corpus it did not see; on film-dev even the"
        " in-sample best of the grid holds 40 % of the errors in a fifth of the cues:"
        " with a quarter of film-dev's words wrong, the errors are spread over most cues"
        " and a word's probability cannot find half of them in a fifth. Shipped: the"
        " setting fitted on speech-dev, because its references are exact where film-dev's"
        " silver ones count some right words as errors (a reason, not a score; both"
        " folds' figures had been seen when it was chosen). Its honest figures are"
        " film-dev's held-out rows above; speech-dev's own are in-sample. The table"
        " below is every corpus, both models, under the thresholds before this and as"
        " shipped now, word flags and all flags.",
        "",
        "| thresholds | model, corpus | cues | flagged | word errors | in flagged cues | bar met |",
        "|---|---|---|---|---|---|---|",
    ]
    before = {"CUE_UNSURE_WORD": 0.5, "CUE_LOW": 0.6, "LOW_LOGPROB": -1.0}
    for label, values in (("before", before), ("shipped", shipped)):
        for reading in (False, True):
            for model in args.models:
                for corpus in CORPORA:
                    row, (f, h) = cue_row(
                        m, f"{model}, {corpus}", keys_of(m, model, corpus), values, reading
                    )
                    which = "all flags" if reading else "word flags"
                    out.append(f"| {label}, {which} {row}")
                    if label == "shipped" and not reading and corpus == "speech-dev":
                        points.append((f"{model} | {corpus} | in-sample (shipped)", f, h))
    out.append(
        f"\nBefore: {', '.join(f'`{k}` {v:g}' for k, v in before.items())}; shipped: "
        + ", ".join(f"`{k}` {v:g}" for k, v in shipped.items())
        + f". Fitted: {json.dumps(fitted)}."
    )
    out.append("")
    out.append("![flagged cues against errors](report_calibration.png)")
    plot(points, args.out.with_suffix(".png"))
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
