"""bench/speech_dev.py's movie builder: the film-length movies reuse every recording the
stated number of times, and the short movies are what they were before reuse existed
(the bench's short-movie figures stay comparable from run to run)."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import speech_dev  # noqa: E402  (bench/, not a package)
import speech_movies  # noqa: E402

RATE = speech_movies.RATE


def clips(n: int = 9) -> list[dict]:
    """Recordings standing in for real ones: each a distinct constant level, so the
    builder's output says which recording went where."""
    return [
        {"name": f"c{k}", "text": f"Sentence {k}.", "audio": np.full(RATE // 4, 0.1 + k / 100)}
        for k in range(n)
    ]


def used(movies: list[dict]) -> Counter:
    return Counter(s for m in movies for p in m["passages"] for s in p["sentences"])


def test_each_recording_once_in_short_movies():
    movies = speech_movies.build_movies(clips(), 3)
    assert [m["name"] for m in movies] == ["movie1", "movie2", "movie3"]
    assert used(movies) == Counter({f"Sentence {k}.": 1 for k in range(9)})


def test_film_movies_reuse_each_recording_in_new_orders():
    movies = speech_movies.build_movies(clips(), 2, reuse=3, prefix="film")
    assert [m["name"] for m in movies] == ["film1", "film2"]
    assert used(movies) == Counter({f"Sentence {k}.": 3 for k in range(9)})
    order = [s for m in movies for p in m["passages"] for s in p["sentences"]]
    thirds = [order[i * 9 : (i + 1) * 9] for i in range(3)]
    assert len({tuple(t) for t in thirds}) > 1  # not the same order three times


def test_reuse_one_is_the_short_movies_as_before():
    """reuse 1 draws the recordings' order exactly as the builder did before reuse
    existed: one shuffle of the list with the seed's generator, first of all draws."""
    expected = [c["text"] for c in clips()]
    random.Random(22).shuffle(expected)
    movies = speech_movies.build_movies(clips(), 3, reuse=1)
    assert [s for m in movies for p in m["passages"] for s in p["sentences"]] == expected


def test_long_gap_lists_are_summarised():
    passages = speech_movies.build_movies(clips(30), 1)[0]["passages"]
    assert len(passages) > 9  # 30 recordings, passages of one to three
    text = speech_dev.gaps_text(passages)
    counts = [int(part.split()[0]) for part in text.split(" (")[0].split(", ")]
    assert sum(counts) == len(passages) - 1
    short = speech_dev.gaps_text(passages[:4])
    assert short == ", ".join(p["gap_after"] for p in passages[:3])
