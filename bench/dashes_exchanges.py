"""Dialogue dashes on quick exchanges of real voices: `python bench/dashes_exchanges.py
[DATA_DIR]` writes bench/dashes_exchanges.md (issue 28's bar: a dashed cue holds two
reference speakers in >= 90 % of cases).

DATA_DIR (default /work/shared/data) holds ami-train (train.rttm) and speakers-dev
(reference.rttm). From each meeting's reference turns, bench/dashes_splice.py cuts
single-speaker lines at Silero's pauses and splices them into a two-shot scene (same
meeting, so same room and microphone; seeded). Each scene, and each natural ami-train
excerpt, goes through what the workflow runs: Silero's regions, ASR (tiny.en and base,
English, config.yaml's asr options, one stream, 2 threads, as bench/dashes.py), the
offline diarization (config.yaml's diarization section), and srt_generation.make_cues
(speakers.assign_speakers, the hallucination filter, dialogue.settle_turns with the
shipped MIN_TURN_S, the cue builder, repair). Decodes are cached under
bench/work/dashes_exchanges/ (rerun with --fresh).

Scored per cue: the reference speakers of its words (speakers.speaker_finder over the
splice's lines, or the excerpt's turns). A dashed cue is right when its words hold two
or more reference speakers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import dashes_splice as ds  # noqa: E402

from subsmith import subtitles  # noqa: E402
from subsmith.core import settings  # noqa: E402
from subsmith.subtitles import dialogue, hallucination, srt_generation  # noqa: E402
from subsmith.subtitles import turns as speakers  # noqa: E402
from subsmith.subtitles.text import ends_sentence  # noqa: E402

WORK = BENCH / "work" / "dashes_exchanges"
MODELS = ("tiny.en", "base")
CORPORA = {"ami-train": "train.rttm", "speakers-dev": "reference.rttm"}
CFG = settings.load()
# The rows: the shipped rule, exploratory variants of it (not shipped: a pause this long
# between words also ends a "sentence", dialogue.SENTENCE_PAUSE_S being 1 s), and the
# diarization's labels as they are (settle_turns off, dashes.md's comparison row).
VARIANTS = {
    "shipped rule": {},
    "pause >= 0.5 s ends a sentence": {"pause": 0.5},
    "pause >= 0.3 s ends a sentence": {"pause": 0.3},
    "diarization as it is": None,
}


def tracks(data: Path) -> dict[str, tuple[np.ndarray, list[dict], str]]:
    """{name: (16 kHz samples, reference turns, kind)}: each meeting's spliced scene
    (kind "spliced") and each natural ami-train excerpt (kind "natural")."""
    from subsmith.speech.vad import silero

    vad = silero.VadOptions.from_config(CFG["silero_vad"])
    out = {}
    for corpus, rttm in CORPORA.items():
        refs = ds.read_rttm(data / corpus / rttm)
        audio = {}
        for stem in sorted(refs):
            samples, rate = soundfile.read(data / corpus / f"{stem}.wav", dtype="float32")
            if rate != ds.RATE or samples.ndim != 1:
                raise SystemExit(f"{data / corpus / stem}.wav: not 16 kHz mono; convert it")
            audio[stem] = samples
            if corpus == "ami-train":
                out[f"natural/{stem}"] = (samples, refs[stem], "natural")
        groups = ds.meetings(refs) if corpus == "ami-train" else [[s] for s in sorted(refs)]
        for group in groups:
            rng = random.Random(f"{ds.SEED}:{corpus}:{'+'.join(group)}")
            lines = []
            for stem in group:
                regions = silero.detect_speech(audio[stem], vad, threads=2)
                lines += [(stem, *c) for c in ds.clips(refs[stem], regions, rng)]
            if len({who for _, who, _, _ in lines}) < 2:
                continue
            samples, ref = ds.splice(audio, lines, rng)
            out[f"{corpus}/{'+'.join(group)}"] = (samples, ref, "spliced")
    return out


def decode(name: str, samples: np.ndarray, models: dict, pipe) -> dict:
    """The cached decode of one track: Silero's regions, diarization turns, and each
    model's transcript (decoded now when missing)."""
    from subsmith.speakers import diarization
    from subsmith.speech import asr
    from subsmith.speech.vad import silero

    path = WORK / f"{name.replace('/', '__')}.json"
    cached = json.loads(path.read_text()) if path.exists() else {}
    t0 = time.monotonic()
    if "speech" not in cached:
        cached["speech"] = silero.detect_speech(
            samples, silero.VadOptions.from_config(CFG["silero_vad"]), threads=2
        )
        dopts, pipeline = pipe()
        cached["turns"] = diarization.diarize(pipeline, samples, dopts, speech=cached["speech"])
    shipped = asr.AsrOptions.from_config(CFG["asr"])
    for model in MODELS:
        if model not in cached:
            opts = replace(shipped, model=model, batch_size=0)  # one stream, as dashes.py
            cached[model] = asr.transcribe(
                models[model](), samples, cached["speech"], opts, language="en"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cached))
    print(f"{name}: {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return cached


def cues_of(decoded: dict, model: str, ref: list[dict], rules, variant: str) -> list[dict]:
    """The cues srt_generation.make_cues makes of the track, each as {dashed, refs (the
    reference speaker of each of its words, in order), texts}, settle_turns as VARIANTS
    names it."""
    original, kw = dialogue.settle_turns, VARIANTS[variant]
    if kw is None:
        dialogue.settle_turns = lambda t, s, e, lab, **_: list(lab)
    elif kw:
        dialogue.settle_turns = lambda t, s, e, lab, **_: original(t, s, e, lab, **kw)
    try:
        made = srt_generation.make_cues(
            decoded[model]["segments"], decoded["speech"], rules, turns=decoded["turns"]
        )
        # The same steps as make_cues, to know which words each cue holds.
        segs = speakers.assign_speakers({"segments": decoded[model]["segments"]}, decoded["turns"])[
            "segments"
        ]
        segs, _ = hallucination.filter_segments(segs, decoded["speech"])
        words = [{**w, "segment": s["id"]} for s in segs for w in s.get("words", [])]
        composed = subtitles.compose(words, rules)
    finally:
        dialogue.settle_turns = original
    if [c.lines for c in made.cues] != [c.lines for c in composed.cues]:
        raise SystemExit("make_cues repaired cues: the word map below no longer holds")
    find = speakers.speaker_finder(ref)
    out = []
    for cue, held in zip(composed.cues, composed.sources, strict=True):
        ws = [words[k] for k in held]
        dashed = len(cue.lines) > 1 and all(x.startswith(dialogue.DASH) for x in cue.lines)
        refs = [find(w["start"], w["end"]) for w in ws]
        out.append({"dashed": dashed, "refs": refs, "texts": [w["word"].strip() for w in ws]})
    return out


def natural_row(decoded: dict, model: str, ref: list[dict], rules, variant) -> dict[str, int]:
    """Reference changes between consecutive words of a natural excerpt: how many follow
    a sentence end, how many sit inside one cue, both, and the dashed cues."""
    cues = cues_of(decoded, model, ref, rules, variant)
    seq = [
        (r, t, n)
        for n, cue in enumerate(cues)
        for r, t in zip(cue["refs"], cue["texts"], strict=True)
    ]
    c = dict.fromkeys(("words", "changes", "sentence", "inside", "both"), 0)
    c["words"] = len(seq)
    c |= {k: v for k, v in ds.cue_stats(cues).items() if k in ("dashed", "right")}
    for (r0, t0, n0), (r1, _, n1) in zip(seq, seq[1:], strict=False):
        if r0 and r1 and r0 != r1:
            c["changes"] += 1
            c["sentence"] += ends_sentence(t0)
            c["inside"] += n0 == n1
            c["both"] += ends_sentence(t0) and n0 == n1
    return c


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default="/work/shared/data", type=Path)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if args.fresh and WORK.exists():
        for f in WORK.glob("*.json"):
            f.unlink()
    loaded: dict = {}

    def model_of(name):
        def get():
            if name not in loaded:
                from subsmith.speech import asr

                loaded[name] = asr.load_model(name, "cpu", "int8", threads=2, batch_size=0)[0]
            return loaded[name]

        return get

    def pipe():
        if "diar" not in loaded:
            from subsmith.speakers import diarization

            dopts = diarization.DiarizationOptions.from_config(CFG["diarization"])
            loaded["diar"] = (dopts, diarization.load_pipeline(dopts, 2)[0])
        return loaded["diar"]

    all_tracks = tracks(args.data)
    models = {m: model_of(m) for m in MODELS}
    decoded = {k: decode(k, v[0], models, pipe) for k, v in all_tracks.items()}
    rules = subtitles.SubtitleRules.from_config(CFG["srt_generation"])
    write(all_tracks, decoded, rules)
    return 0


def write(all_tracks: dict, decoded: dict, rules) -> None:
    spliced = {k: v for k, v in all_tracks.items() if v[2] == "spliced"}
    material = []
    for corpus in CORPORA:
        refs = [v[1] for k, v in spliced.items() if k.startswith(corpus + "/")]
        lines = [r for ref in refs for r in ref]
        changes = sum(
            a["speaker"] != b["speaker"] for ref in refs for a, b in zip(ref, ref[1:], strict=False)
        )
        short = sum(r["end"] - r["start"] < 1.0 for r in lines)
        secs = sum(len(v[0]) for k, v in spliced.items() if k.startswith(corpus + "/")) / ds.RATE
        material.append(
            [corpus, str(len(refs)), str(len(lines)), str(short), str(changes), f"{secs:.0f}"]
        )
    head = [
        "corpus",
        "model",
        "speakers",
        "cues",
        "dashed cues",
        "dash precision [95 %]",
        "false dashes",
        "two-speaker cues",
        "missed dashes",
        "dash recall (all)",
        "two-speaker cues, change between sentences",
        "dash recall (between sentences)",
    ]
    rows = []
    for corpus in CORPORA:
        for model in MODELS:
            for variant in VARIANTS:
                c: dict[str, int] = {}
                for k, (_, ref, _) in spliced.items():
                    if k.startswith(corpus + "/"):
                        c = ds.add(c, ds.cue_stats(cues_of(decoded[k], model, ref, rules, variant)))
                rows.append(
                    [
                        corpus,
                        model,
                        variant,
                        str(c["cues"]),
                        str(c["dashed"]),
                        ds.pct(c["right"], c["dashed"], True),
                        str(c["dashed"] - c["right"]),
                        str(c["two"]),
                        str(c["two"] - c["two_dash"]),
                        ds.pct(c["two_dash"], c["two"], True),
                        str(c["sent"]),
                        ds.pct(c["sent_dash"], c["sent"], True),
                    ]
                )
    nat_rows = []
    groups = [("ami-train natural", "natural/", list(VARIANTS))]
    groups += [(f"{c} spliced", f"{c}/", ["shipped rule"]) for c in CORPORA]
    for label, prefix, variants in groups:
        for model in MODELS:
            for variant in variants:
                c = {}
                for k, (_, ref, _) in all_tracks.items():
                    if k.startswith(prefix):
                        c = ds.add(c, natural_row(decoded[k], model, ref, rules, variant))
                n = c["changes"]
                nat_rows.append(
                    [label, model, variant, str(c["words"]), str(n), ds.pct(c["sentence"], n)]
                    + [ds.pct(c["inside"], n), ds.pct(c["both"], n), str(c["dashed"])]
                    + [ds.pct(c["right"], c["dashed"], True)]
                )
    report = REPORT.format(
        material=ds.table(
            ["corpus", "scenes", "lines", "lines under 1 s", "reference changes", "seconds"],
            material,
        ),
        main=ds.table(head, rows),
        natural=ds.table(
            [
                "tracks",
                "model",
                "speakers",
                "words",
                "reference changes between words",
                "after a sentence end",
                "inside one cue",
                "both (a dash could show)",
                "dashed cues",
                "dash precision [95 %]",
            ],
            nat_rows,
        ),
        margin=ds.MARGIN_S,
        min_clip=ds.MIN_CLIP_S,
        gap=ds.GAP_S,
        caps=ds.LINE_CAPS_S,
        min_turn=dialogue.MIN_TURN_S,
    )
    (BENCH / "dashes_exchanges.md").write_text(report + READING)
    print(report)


REPORT = """# Dialogue dashes on quick exchanges of real voices (issue 28)

`python bench/dashes_exchanges.py` (helpers: bench/dashes_splice.py). Issue 28's bar: a
dashed cue holds two reference speakers in >= 90 % of cases. On the natural ami-train
excerpts the shipped rule dashes almost no cue (the last table), too few to show or refute that,
so here real voices are spliced into quick exchanges, as a film's two-shot dialogue.

How. From each recording's reference turns: stretches where exactly one reference speaker
talks (every other speaker's turn >= {margin} s away), cut to Silero's speech inside them
and split at its pauses into lines (pauses joined up to a length drawn from {caps} s), lines under
{min_clip} s left out. One scene per meeting: ami-train's excerpts that share a speaker
are one AMI meeting (same room, same microphone mix), each speakers-dev file its own;
consecutive lines from different speakers while two are left (then the last speaker's
lines follow each other), gaps drawn from {gap} s of digital silence, seed 28. Each scene
goes through Silero, ASR (one stream, 2 threads, English), the offline diarization and
srt_generation.make_cues (settle_turns with MIN_TURN_S = {min_turn} s): the cues a user
gets. Each word's reference speaker is the line it lies in (speakers.speaker_finder).

## Material

{material}

## Dashes per cue

A dashed cue is right when its words hold >= 2 reference speakers (dash precision); a
false dash is a dashed cue of one reference speaker. Two-speaker cues: cues whose words
hold >= 2 reference speakers; a missed dash is one of them without dashes. "Change between
sentences": every reference change inside the cue follows a word that ends a sentence
(what settle_turns lets show). [..]: Wilson 95 % interval. "diarization as it is": the
labels with settle_turns off (what srt_generation did before issue 28).

{main}

## Why the natural ami-train excerpts show so few dashes

The ten natural excerpts (and, under the shipped rule, the spliced scenes): reference
speaker changes between consecutive words (both words with a reference speaker), how many
follow a word that ends a sentence, how many lie inside one cue the builder made, and both
(the only place a dash can show).

{natural}
"""
READING = """
## Reading

- The bar stays unmeasured. Even on spliced exchanges the shipped rule dashes 0 cues on
  ami-train and 1 per model on speakers-dev: 2 dashed cues in all, both right (100 %,
  Wilson 34-100 %), while a 90 % bar needs some 35 dashed cues all right before its
  interval clears 90 %. These recordings cannot show or refute it.
- What it does show: the shipped rule trades recall for precision. It shows no false
  dash anywhere here (0 of 4 rows), but misses nearly every two-speaker cue: recall 0 %
  (0/8, 0/9) on ami-train and 12-14 % (1/8, 1/7) on speakers-dev. The diarization's labels
  as they are dash 7 and 8 cues on ami-train at 71 % and 62 % (intervals 36-92 %,
  31-86 %) and 8 and 3 on speakers-dev at 75 % and 100 %; pooled over both corpora and
  models 19 of 26 right (73 %, 54-86 %): below the bar, so the rule's caution is not
  wrong, it costs the dashes.
- Why so few: a dash can show only where a reference change follows a sentence end and
  lies inside one cue. On the natural excerpts, under the shipped rule, none of the 15 (tiny.en) and 16 (base)
  reference changes does (about half follow a sentence end, a third to a half lie in one
  cue, never both). Lines cut from meeting talk are sentence fragments: in the ami-train
  scenes only 15-23 % of the changes follow a word Whisper ended a sentence with (Whisper
  writes two people's fragments as one sentence), against 58-67 % in speakers-dev's
  scenes, and the builder starts a new cue at most changes it sees.
- Letting a pause end a sentence (0.3 or 0.5 s instead of dialogue.SENTENCE_PAUSE_S's 1 s)
  adds 0-2 dashed cues per row, all right on the splices, but its one dash on the natural
  ami-train excerpts (base) is wrong, and the splices favour it by construction (every
  change sits at a drawn 0.15-0.8 s gap of digital silence): no clear cross-corpus gain,
  nothing to ship.
- What the splices do not show: real overlap, interruptions and backchannels under
  another voice (the natural meetings' difficulty), a film's mixing, music and
  room tone (the gaps are digital silence), or more than 28 reference changes per corpus
  (the material: exclusive stretches of the minority speakers are few and short in
  these meetings; each line is used once, none repeated). Spliced exchanges are easier
  than overlapping meeting talk; the natural ami-train figure stays the bar.
"""

if __name__ == "__main__":
    sys.exit(main())
