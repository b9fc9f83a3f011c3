"""bench/names.py's two sets of clips: espeak lines naming a cast (and lines naming
nobody), with their movie's metadata and distractors; and the real speech-dev recordings
with a documentary's metadata and the place names said in them."""

from __future__ import annotations

import re
from pathlib import Path

from speech_movies import load_clip

from subsmith import demo

# The espeak movie: characters spoken in the lines below and distractors never spoken.
ESPEAK_META = {
    "status": "success",
    "source": "nfo",
    "title": "The Painted Letter",
    "year": 1995,
    "overview": (
        "In Basle and London, Elinor Dashwood and her sister Marianne face ruin, "
        "while the painter Frederick Leighton and the engraver Birket Foster quarrel "
        "over a stolen portrait, and Hester Prynne keeps a secret from the Whittemore family."
    ),
    "cast": [
        {"name": "Emma Thompson", "character": "Elinor Dashwood", "order": 0},
        {"name": "Kate Winslet", "character": "Marianne Dashwood", "order": 1},
        {"name": "Alan Rickman", "character": "Colonel Brandon", "order": 2},
        {"name": "Greg Wise", "character": "John Willoughby", "order": 3},
        {"name": "Hugh Grant", "character": "Edward Ferrars", "order": 4},
        {"name": "Ian McKellen", "character": "Frederick Leighton", "order": 5},
        {"name": "Tom Wilkinson", "character": "Birket Foster", "order": 6},
        {"name": "Meryl Streep", "character": "Hester Prynne", "order": 7},
        {"name": "Bill Nighy", "character": "Mr. Schoeffer", "order": 8},
        {"name": "Judi Dench", "character": "Ada Whittemore", "order": 9},
        # distractors: in the cast, never spoken
        {"name": "Imelda Staunton", "character": "Charlotte Palmer", "order": 10},
        {"name": "Harriet Walter", "character": "Fanny Ferrars", "order": 11},
        {"name": "Imogen Stubbs", "character": "Lucy Steele", "order": 12},
        {"name": "Robert Hardy", "character": "Sir John Middleton", "order": 13},
        {"name": "Gemma Jones", "character": "Mrs. Jennings", "order": 14},
        {"name": "Hugh Laurie", "character": "Mr. Thomas Gifford", "order": 15},
    ],
    "crew": [{"name": "Ang Lee", "job": "Director"}],
}
# Names in braces are scored: spelled exactly as written, case included.
NAME_LINES = (
    "{Elinor Dashwood} walked slowly to the window and looked at the rain.",
    "{Colonel Brandon} arrived at the cottage before noon.",
    "I have never trusted {Willoughby}, said {Marianne}.",
    "{Frederick Leighton} painted the portrait in the summer of that year.",
    "The engraving by {Birket Foster} hangs in the hall.",
    "{Hester Prynne} stood alone on the scaffold in the market square.",
    "{Mr. Schoeffer} sent a telegram from {Basle} this morning.",
    "{Whittemore} kept the ledger of every ship in the harbour.",
    "{Leighton}'s studio was full of light and old furniture.",
    "{Edward Ferrars} promised to write as soon as he reached {London}.",
    "Tell {Elinor} that {Brandon} is waiting in the garden.",
    "{Ada Whittemore} and {Hester} read the letter twice.",
)
# No cast name is spoken here; several words sound like one.
PLAIN_LINES = (
    "The chauffeur waited by the car until the rain stopped.",
    "He has to print the letters before the office closes.",
    "The Turkish bath on the corner opens at nine in the morning.",
    "The foster family lives in a small house by the river.",
    "She poured a glass of brandy and sat down by the fire.",
    "The painter kept a leather bag of brushes under the table.",
    "We will meet again when the harvest is over.",
    "The ship carried wheat, timber and salt to the northern ports.",
)
VOICES = ("en-us", "en-gb", "en-us+f2", "en-gb-scotland", "en-gb-x-rp", "en-029")

# The real recordings: a documentary about printing; distractor places and people.
REAL_META = {
    "status": "success",
    "source": "nfo",
    "title": "The Printed Book",
    "year": 2001,
    "overview": (
        "A history of printing from the block books of the Netherlands to the presses of "
        "Italy, Germany and France, with William Caxton in London and the type of Venice."
    ),
    "cast": [
        {"name": "David Attenborough", "character": "Narrator", "order": 0},
        {"name": "Stephen Fry", "character": "William Caxton", "order": 1},
        {"name": "Alan Bennett", "character": "Nicolas Jenson", "order": 2},
    ],
    "crew": [],
}
REAL_NAMES = ("Netherlands", "Italy", "Germany", "France")


def marked(text: str) -> tuple[str, list[str]]:
    """('Tell Elinor ...', ['Elinor', ...]) from 'Tell {Elinor} ...'."""
    return text.replace("{", "").replace("}", ""), re.findall(r"\{([^}]+)\}", text)


def espeak_clips() -> list[dict]:
    clips = []
    for i, line in enumerate(NAME_LINES):
        for j in range(2):  # each name line in two voices
            text, spoken = marked(line)
            voice = VOICES[(2 * i + j) % len(VOICES)]
            clips.append({"text": text, "names": spoken, "voice": voice, "speed": 150})
    for i, line in enumerate(PLAIN_LINES):
        clips.append({"text": line, "names": [], "voice": VOICES[i % len(VOICES)], "speed": 150})
    for c in clips:
        c["audio"] = demo.trim(demo.speak(c["text"], c["voice"], c["speed"]))
    return clips


def real_clips(folder: Path) -> list[dict]:
    clips = []
    for line in (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        name, text = line.split("\t", 1)
        spoken = [n for n in REAL_NAMES for _ in re.finditer(rf"\b{n}\b", text)]
        clips.append(
            {"text": text, "names": spoken, "voice": name, "audio": load_clip(folder / name)}
        )
    return clips
