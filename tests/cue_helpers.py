"""Text and word timings the subtitle tests share: a monologue spoken at a given pace."""

from __future__ import annotations

import random
import re

from conftest import CONFIG
from subsmith.subtitles import Cue, SubtitleRules

RULES = SubtitleRules.from_config(CONFIG["srt_generation"])
ARTICLES = {"a", "an", "the", "this", "my", "your", "his", "our", "their"}

MONOLOGUE = (
    "I think we should leave the city before it gets dark. The roads out of town will be "
    "crowded with people going home. Mary Poppins told me that yesterday, and she is rarely "
    "wrong. Do you remember the summer we spent at the lake? We swam every morning, read books "
    "in the afternoon, and talked until late at night about everything and nothing. Those were "
    "good days. Now everything feels different, because the factory closed and most of our "
    "friends moved away to find work in the big cities. My father says that it will get better, "
    "but he has said that for years. Still, I want to believe him. Maybe next spring we can go "
    "back to the lake, rent the old cabin by the water, and see if it still feels the same. "
    "What do you think? Would you come with me, even if it rains the whole week and the boat "
    "leaks again like it did last time? I would like that very much. Anyway, we should get "
    "going now, before the traffic gets any worse. Take your coat, the one with the big "
    "pockets, because the wind by the river is cold at this time of the year. And do not "
    "forget the keys this time! Last winter we waited two hours in the snow for your brother, "
    "who had the only other set. He still laughs about it, but I do not."
)


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.?!])\s+", text.strip())


def speak(
    text: str,
    *,
    seed: int = 0,
    t0: float = 0.5,
    pauses: tuple[float, float] = (0.3, 1.0),
    step: float | None = None,
) -> list[dict]:
    """Synthetic faster-whisper words: duration grows with word length (or a fixed
    `step` per word), small gaps inside sentences, longer pauses between them."""
    rng = random.Random(seed)
    words, t = [], t0
    for segment, sentence in enumerate(sentences(text)):
        for token in sentence.split():
            if step is None:
                duration = 0.12 + 0.055 * len(token)
                advance = duration + rng.uniform(0.02, 0.08)
            else:
                duration, advance = step * rng.uniform(0.6, 0.95), step
            words.append(
                {
                    "start": round(t, 3),
                    "end": round(t + duration, 3),
                    "word": " " + token,
                    "segment": segment,
                }
            )
            t += advance
        t += rng.uniform(*pauses)
    return words


def cue_words(cues: list[Cue]) -> list[str]:
    return [w for cue in cues for w in cue.text.split()]
