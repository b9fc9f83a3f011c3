"""Which speech the decoder left without words: the check after ASR.

faster-whisper's BatchedInferencePipeline decodes each window in one pass, without
timestamps, and stops where the model emits end-of-text. On real recordings it does so
after the first passage of a window that holds the end of one passage and the start of
another (two recordings spliced by the packer, the gap between them cut out): the rest
of the window's speech is silently dropped. The one-stream decoder seeks on from its
last timestamp and loses less, but it too can skip.

So after decoding, every VAD speech region is compared with the words' times. Where a
window holds speech that no word covers for `MIN_SECONDS` or more, its speech from the
last covered word to the window's end is decoded again as a window of its own (it then
starts at a passage's start, which the decoder does not skip) and, if that finds more
words there than the first pass, replaces the first pass there, on the movie's clock.
From the gap to the window's end, not just the gap: the first pass's aligner spreads
the text it has over the whole window, so a dropped passage shows as a shorter gap than
it is (bench/speech_dev.py: 2.4 s found of a 5.4 s passage). Two rounds at most. Regions that
are really music or noise come back without words and cost one short decode each.

Why not instead pack windows so that no window spans a long gap: films have several
passages per 30 s window, so smaller windows cost the batched path its speed on every
movie, while the check costs decoding time only where speech was lost. The check's
gain and cost: bench/speech_dev.md, "Short movies", the rows "ours batched, as shipped"
and "diagnostic: ours batched without the coverage check" (WER, lost sentences, CPU s).
A new window at every gap over 2 s lost nothing either but took half again the CPU of
packing with this check (30.0 s against 20.0 s, WER 4.2 % against 3.2 %, measured once
by bench/speech_dev.py; no bench md row holds it).

The threshold: in the one-stream decoding of real read speech (bench/speech_dev.py,
four movies), the longest stretch of a region without words was 0.9 s (VAD padding,
breaths, word-timing error); the stretches the batched pass lost were 2.4 s and more.
1.5 s sits between (stretches measured by bench/speech_dev.py; bench/speech_dev.md holds
its WER and lost sentences, not these).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..subtitles.text import join_words

# Speech without words that is decoded again, in seconds (module docstring: why).
MIN_SECONDS = 1.5


def uncovered(
    regions: Iterable[dict[str, float]],
    words: Iterable[dict[str, float]],
    min_seconds: float,
) -> list[dict[str, float]]:
    """The stretches of the regions (movie seconds) that no word's [start, end] touches,
    each at least min_seconds long, in time order."""
    covered: list[list[float]] = []  # the words' spans, merged where they touch
    for start, end in sorted((w["start"], w["end"]) for w in words):
        if covered and start <= covered[-1][1]:
            covered[-1][1] = max(covered[-1][1], end)
        else:
            covered.append([start, end])
    gaps: list[dict[str, float]] = []
    k = 0
    for r in sorted(regions, key=lambda r: r["start"]):
        while k < len(covered) and covered[k][1] <= r["start"]:
            k += 1
        at = r["start"]
        j = k
        while j < len(covered) and covered[j][0] < r["end"]:
            if covered[j][0] - at >= min_seconds:
                gaps.append({"start": at, "end": covered[j][0]})
            at = max(at, covered[j][1])
            j += 1
        if r["end"] - at >= min_seconds:
            gaps.append({"start": at, "end": r["end"]})
    return gaps


def spans_to_redecode(
    windows: list[list[dict[str, float]]], gaps: list[dict[str, float]]
) -> list[list[dict[str, float]]]:
    """For each window (its regions, movie seconds) with speech that no word covers: its
    regions from the start of the first such gap to the window's end. The words the first
    pass put after a gap are not to be trusted: the aligner spreads the text it has over
    the whole window, so a lost passage shows as a shorter gap than it is."""
    spans = []
    for window in windows:
        inside = [g for g in gaps if window[0]["start"] <= g["start"] < window[-1]["end"]]
        if not inside:
            continue
        at = min(g["start"] for g in inside)
        span = [{"start": max(r["start"], at), "end": r["end"]} for r in window if r["end"] > at]
        spans.append(span)
    return spans


def merge(
    segments: list[dict], again: list[dict], spans: list[list[dict[str, float]]]
) -> list[dict]:
    """The first pass's segments with each span decoded again put in: a span's new words
    replace the first pass's words there when there are more of them (else the first
    pass stays). Segments in time order; a segment left without words is dropped."""
    ranges = sorted((span[0]["start"], span[-1]["end"]) for span in spans)

    def span_of(t: float) -> int:
        # A segment decoded again belongs to the first span it starts before the end of
        # (its first word may start a few ms before the span: times are 20 ms steps).
        return next((k for k, (_, hi) in enumerate(ranges) if t < hi), len(ranges) - 1)

    new = [[] for _ in ranges]
    for s in again:
        if s["words"]:
            new[span_of(s["words"][0]["start"])].append(s)
    replaced = []
    for (lo, hi), segs in zip(ranges, new, strict=True):
        old = sum(lo <= w["start"] < hi for s in segments for w in s["words"])
        if sum(len(s["words"]) for s in segs) > old:
            replaced.append((lo, hi))

    def inside(t: float) -> bool:
        return any(lo <= t < hi for lo, hi in replaced)

    out = []
    for s in segments:
        words = [w for w in s["words"] if not inside(w["start"])]
        if len(words) == len(s["words"]):
            out.append(s)
        elif words:
            text = join_words([w["word"] for w in words])
            start, end = words[0]["start"], words[-1]["end"]
            out.append({**s, "start": start, "end": end, "text": text, "words": words})
    for (lo, hi), segs in zip(ranges, new, strict=True):
        if (lo, hi) in replaced:
            out += segs
    return sorted(out, key=lambda s: (s["start"], s["end"]))


def seconds(spans: Iterable[dict[str, float]]) -> float:
    return float(sum(s["end"] - s["start"] for s in spans))
