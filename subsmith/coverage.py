"""Which speech the decoder left without words: the check after ASR.

faster-whisper's BatchedInferencePipeline decodes each window in one pass, without
timestamps, and stops where the model emits end-of-text. On real recordings it does so
after the first passage of a window that holds the end of one passage and the start of
another (two recordings spliced by the packer, the gap between them cut out): the rest
of the window's speech is silently dropped. The one-stream decoder seeks on from its
last timestamp and loses less, but it too can skip.

So after decoding, every VAD speech region is compared with the words' times. Speech
that no word covers, longer than `min_seconds`, is decoded again, each stretch as a
window of its own starting at the last covered word (where the decoder stopped), and
the words found are merged on the movie's clock. Regions that are really music or noise
come back without words again and cost one short decode each.

The threshold: in the one-stream decoding of real read speech (bench/speech_dev.py), a
region's speech without words is its VAD padding (0.2 s each side), breaths and pauses
inside a region (under `min_silence_ms` + padding, ~0.7 s) and word-timing error: the
longest such stretch measured was about 1 s. A lost sentence is 1.5 s or more. Measured
figures: bench/speech_dev.md.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def split_long(spans: list[dict[str, float]], max_seconds: float) -> list[dict[str, float]]:
    """Spans cut into pieces of at most max_seconds: one decoding window each."""
    out = []
    for s in spans:
        at = s["start"]
        while s["end"] - at > max_seconds:
            out.append({"start": at, "end": at + max_seconds})
            at += max_seconds
        out.append({"start": at, "end": s["end"]})
    return out


def seconds(spans: Iterable[dict[str, float]]) -> float:
    return float(sum(s["end"] - s["start"] for s in spans))
