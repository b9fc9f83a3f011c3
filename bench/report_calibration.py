"""Does the report point at the errors? (issue 33)

Two questions, over every real recording with a reference (speech-dev: read speech,
exact transcripts; film-dev: film dialogue, silver ones; their READMEs), for each model
bench/real_decode.py cached (tiny.en, base; run it first):

1. Per movie: does the estimate rank recordings by how good their subtitles are?
   Spearman's rank correlation between the estimate and 1 - WER of the cues' text.
2. Per cue: do the flagged cues hold the word errors? The issue's bar: the flagged cues
   hold at least half of the word errors while being at most a fifth of the cues.

Each recording: its cached transcript (the asr stage's decoding) through
srt_generation's own function (subsmith.subtitles.srt_generation.make_cues, shipped rules and
hallucination filter), then subsmith.report.quality.assess. Word errors per cue: each
cue's text goes through Whisper's English normaliser on its own (so every word keeps
its cue), the reference through the same normaliser, and jiwer aligns the two; a
substitution or an insertion belongs to the cue holding its hypothesis words, a
deletion to the cue around it (half to each neighbour when it falls between two cues;
to no cue when the recording has none).

The per-cue estimate (quality.py's docstring) is fitted on the words of one corpus (both
models; a word is wrong when jiwer aligns it to a substitution or an insertion, each word
normalised on its own) and scored on the other, both ways. quality.py ships the fit on
both corpora; the held-out figures are the honest ones.

    .venv/bin/python bench/report_calibration.py [--cache bench/work/real]
    # writes bench/report_calibration.md and bench/report_calibration.png
"""

from __future__ import annotations

import argparse
import json
import math
from contextlib import contextmanager
from pathlib import Path

from common import BENCH, CONFIG

from subsmith import subtitles
from subsmith.report import quality
from subsmith.report.movie import Movie
from subsmith.subtitles import srt_generation

WORK = BENCH / "work" / "real"
CORPORA = ("speech-dev", "film-dev")
MAX_FLAGGED = 0.20  # the bar: at most a fifth of the cues ...
MIN_ERRORS = 0.50  # ... holding at least half of the word errors
COEFS = ("WORD_BIAS", "WORD_LOGIT", "WORD_LOGPROB")
VARIANTS = ("shipped", "threshold")


@contextmanager
def constants(values: dict[str, float]):
    """quality.py's constants set to `values` for the duration (assess reads them)."""
    old = {k: getattr(quality, k) for k in values}
    vars(quality).update(values)
    try:
        yield
    finally:
        vars(quality).update(old)


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


def word_labels(movie: Movie, ref: str, norm) -> list[tuple[float, float, int]]:
    """(logit of the word's probability, its segment's avg_logprob, 1 if wrong) for each
    word in a cue: wrong when jiwer aligns one of its tokens to a substitution or an
    insertion (a deletion has no word to blame)."""
    import jiwer

    segs = movie.transcript["segments"]
    words = [w for ws in quality.cue_words(movie) for w in ws]
    toks = [(t, j) for j, w in enumerate(words) for t in norm(w["word"]).split()]
    wrong = [0] * len(words)
    if toks:
        out = jiwer.process_words(norm(ref), " ".join(t for t, _ in toks))
        for chunk in out.alignments[0]:
            if chunk.type in ("substitute", "insert"):
                for h in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                    wrong[toks[h][1]] = 1
    rows = []
    for w, y in zip(words, wrong, strict=True):
        p = min(max(w["probability"], 1e-4), 1 - 1e-4)
        rows.append((math.log(p / (1 - p)), segs[w["_seg"]].get("avg_logprob", 0.0), y))
    return rows


def measure(models: list[str]) -> dict:
    """Per model and recording: the estimate, the WER, and per cue its features and errors."""
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    refs = json.loads((WORK / "references.json").read_text())
    rules = subtitles.SubtitleRules.from_config(CONFIG["srt_generation"])
    norm = EnglishTextNormalizer()
    data: dict = {}
    for model in models:
        for key in sorted(refs):
            if key.split("/")[0] not in CORPORA:
                continue
            movie = load(model, key, rules)
            texts = [" ".join(c.lines) for c in movie.cues]
            per, lost, n_ref = cue_errors(refs[key], texts, norm)
            hyp = norm(" ".join(texts).replace("- ", " "))
            data[(model, key)] = {"movie": movie, "errors": per, "lost": lost, "ref": n_ref}
            data[(model, key)]["wer"] = jiwer.wer(norm(refs[key]), hyp) if hyp.strip() else 1.0
            data[(model, key)]["words"] = word_labels(movie, refs[key], norm)
    return {"data": data, "rules": rules}


def is_flagged(flags: list[str], reading: bool) -> bool:
    """A cue flagged for its words (reading=False: a reading-speed flag alone says
    nothing about the words) or for any reason."""
    return any(reading or not f.startswith("fast") for f in flags)


def fit(m: dict, keys: list) -> dict[str, float]:
    """quality.py's word coefficients fitted on the words of `keys` (scikit-learn's
    logistic regression, its default mild L2 penalty)."""
    from sklearn.linear_model import LogisticRegression

    rows = [r for k in keys for r in m["data"][k]["words"]]
    lr = LogisticRegression(max_iter=1000).fit([r[:2] for r in rows], [r[2] for r in rows])
    coefs = [float(lr.intercept_[0]), *map(float, lr.coef_[0])]
    return {k: round(v, 2) for k, v in zip(COEFS, coefs, strict=True)}


def flag_counts(m: dict, keys: list, values: dict, reading: bool = False, one=True) -> dict:
    """Cues, flagged cues, word errors and errors in flagged cues over `keys`, under
    quality.py's constants set to `values`. one: the recordings as one movie, quality.py's
    CUE_SHARE budget over all their cues (the MAX_FLAGGED of them with the most expected
    wrong words keep "likely wrong words"); else each recording alone, no budget."""
    cues = []
    with constants({**values, "CUE_SHARE": 1.0}):
        for k in keys:
            q = quality.assess(m["data"][k]["movie"], m["rules"].max_cps)
            cues += list(zip(q.cues, m["data"][k]["errors"], strict=True))
    likely = [ce for ce in cues if ce[0].flags[:1] and ce[0].flags[0].startswith("likely")]
    likely.sort(key=lambda ce: -ce[0].expected)
    kept = {id(c) for c, _ in likely[: int(MAX_FLAGGED * len(cues)) if one else None]}
    flagged = [
        e
        for c, e in cues
        if id(c) in kept or is_flagged([f for f in c.flags if not f.startswith("likely")], reading)
    ]
    errs = sum(sum(m["data"][k]["errors"]) + m["data"][k]["lost"] for k in keys)
    return {"cues": len(cues), "flagged": len(flagged), "errors": errs, "in_flagged": sum(flagged)}


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


def cue_row(label: str, c: dict) -> tuple[str, tuple[float, float]]:
    f, h = c["flagged"] / max(1, c["cues"]), c["in_flagged"] / max(1e-9, c["errors"])
    ok = "yes" if f <= MAX_FLAGGED and h >= MIN_ERRORS else "no"
    return (
        f"| {label} | {c['cues']} | {c['flagged']} ({f:.0%}) | {c['errors']:.0f} "
        f"| {c['in_flagged']:.1f} ({h:.0%}) | {ok} |",
        (f, h),
    )


def plot(points: list[tuple[str, float, float]], path: Path) -> None:
    """Held-out points: shape by way of flagging, colour by corpus, filled for base."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6), dpi=100)
    ax.axvspan(0, MAX_FLAGGED, ymin=MIN_ERRORS, ymax=1, color="#e3f4e1", label="the bar")
    marks = {"shipped": "o", "threshold": "^"}
    colours = {"speech-dev": "#1f77b4", "film-dev": "#d62728"}
    for label, f, h in points:
        model, corpus, which = label.split(" | ")
        ax.scatter(
            f,
            h,
            marker=marks[which],
            s=60,
            facecolors=colours[corpus] if model == "base" else "none",
            edgecolors=colours[corpus],
            label=f"{model}, {corpus}, {which}",
        )
    ax.set_xlim(0, 0.5)
    ax.set_ylim(0, 1)
    ax.set_xlabel("share of cues flagged")
    ax.set_ylabel("share of word errors in flagged cues")
    ax.plot([0, 1], [0, 1], color="#bbb", lw=0.8, ls="--")
    ax.legend(fontsize=6, loc="lower right", ncol=2)
    ax.set_title("Flagged cues against word errors, held out (real recordings)", fontsize=10)
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
    shipped = {k: getattr(quality, k) for k in COEFS}
    out = [
        "# Report calibration: the estimate and the flags against measured errors",
        "",
        "`python bench/real_decode.py ../shared/data` then `python bench/report_calibration.py`"
        " (its docstring says how). Every real recording with a reference:"
        " speech-dev (31, read speech, exact transcripts) and film-dev (10, 1968 film"
        " dialogue; its references are silver, written by a larger ASR model, so a few"
        " percent of its 'errors' are the reference's). Each recording: the"
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
        " a fifth of the cues. Each cue's estimate is its expected wrong words (quality.py's"
        " docstring): P(wrong) of each word from a logistic regression on the logit of its"
        " probability and its segment's avg_logprob, plus the words Silero's speech says the"
        " decoder left out. Two ways to flag with it. **shipped**, what the report does:"
        f" `CUE_EXPECTED` ({quality.CUE_EXPECTED:g}) expected wrong word or more (a value"
        " chosen for its meaning, not fitted), in at most a fifth of the movie's cues, the"
        " most likely wrong first. That budget is a rank within the movie, plainly: on a"
        " poor film it flags the worst fifth, not every doubtful cue (the movie's estimate"
        " and flags say the rest is poor). A budget needs a movie-length film, and these"
        " recordings are scenes of 1 to 21 cues, so here each corpus is one movie, its"
        " recordings one after another (as the project's long-form test movies are built)."
        " **threshold**: the fixed threshold alone, no budget, each recording on its own."
        ' "Word flags" count every cue flag but reading too fast, which says nothing about'
        " the words. Errors per cue: the script's docstring (a deletion between two cues"
        " counts half to each).",
        "",
        "### Held out: fitted on one corpus, scored on the other",
        "",
        "The word coefficients fitted on one corpus's words (both models), the cues of the"
        ' other corpus scored with them. "Both": all 41 recordings, each corpus scored by'
        " the fit that did not see it. speech-dev's references are exact; film-dev's are"
        " silver (some of its 'errors' are the reference's).",
        "",
        "| fitted on: coefficients | flag | model, corpus held out "
        "| cues | flagged | word errors | in flagged cues | bar met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    missed = [v > 0 for d in m["data"].values() for v in quality.missed_words(d["movie"])]
    points = []
    fitted = {}
    held: dict = {}
    for train, test in (CORPORA, CORPORA[::-1]):
        values = fitted[train] = fit(m, keys_of(m, None, train))
        setting = ", ".join(f"{v:+.2f}" for v in values.values())
        for model in args.models:
            ks = keys_of(m, model, test)
            counts = {
                "shipped": flag_counts(m, ks, values),
                "threshold": flag_counts(m, ks, values, one=False),
            }
            for which, c in counts.items():
                was = held.get((model, which), {})
                held[model, which] = {k: was.get(k, 0) + v for k, v in c.items()}
                row, (f, h) = cue_row(f"{model}, {test}", c)
                out.append(f"| {train}: {setting} | {which} {row}")
                points.append((f"{model} | {test} | {which}", f, h))
    for model in args.models:
        for which in VARIANTS:
            row, (f, h) = cue_row(f"{model}, both", held[model, which])
            out.append(f"| each by the other | {which} {row}")
    out += [
        "",
        "Coefficients: `WORD_BIAS`, `WORD_LOGIT`, `WORD_LOGPROB`. Fitted: "
        + json.dumps(fitted)
        + "; on both corpora: "
        + json.dumps(fit(m, keys_of(m, None, None)))
        + "; shipped in quality.py (the fit on both): "
        + json.dumps(shipped)
        + f". Missed words (Silero speech with no word) reach {sum(missed)} of the"
        f" {len(missed)} cues (both models): a deletion signal with little evidence here."
        " Why not a threshold fitted to flag a fifth: film dialogue has five times read"
        " speech's word errors, so a threshold that flags a fifth of one corpus flags far"
        " more or far fewer of the other; hence a threshold with a meaning and a budget."
        " Before this estimate (thresholds on the lowest word and the mean; the previous"
        " version of this file): 23-38 % of film-dev's cues flagged, holding 50-71 % of its"
        " errors, held out.",
        "",
        "### As shipped, every corpus (in-sample: the coefficients saw these words;"
        " each corpus one movie)",
        "",
        "| flags | model, corpus | cues | flagged | word errors | in flagged cues | bar met |",
        "|---|---|---|---|---|---|---|",
    ]
    for reading in (False, True):
        for model in args.models:
            for corpus in CORPORA:
                c = flag_counts(m, keys_of(m, model, corpus), shipped, reading)
                row, _ = cue_row(f"{model}, {corpus}", c)
                out.append(f"| {'all flags' if reading else 'word flags'} {row}")
    out.append("")
    out.append("![flagged cues against errors](report_calibration.png)")
    plot(points, args.out.with_suffix(".png"))
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
