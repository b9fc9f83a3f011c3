"""Language codes: Whisper speaks ISO 639-1 ("de"), Matroska tags want ISO 639-2/B ("ger").

The codes come from babelfish (ISO 639-1, 639-2/B and /T, 639-3; installed with guessit),
not a hand-written table: a table of the 44 best-known languages gave 58 of Whisper's 99
languages the tag `und`, and a track tagged `lit` did not match `language: lt`. Any form
is read everywhere (config `language`, `demux.audio_language`, track tags, sidecar
suffixes): "de", "deu" (639-2/T), "ger" (639-2/B), "DE".

Three forms go out:
- `to_639_1`: the sidecar suffix and the config's canonical form (`Movie.de.srt`; Jellyfin,
  Plex and Kodi read ISO 639-1, and 639-3 for the languages without one: `Movie.haw.srt`);
- `to_639_2`: the Matroska track tag (639-2/B: "ger", "fre", "chi");
- `whisper_code`: what faster-whisper takes ("jw" for Javanese), None for a language it
  cannot transcribe.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# faster_whisper.tokenizer._LANGUAGE_CODES (faster-whisper 1.2.1), copied: the demux and
# mux environments have no faster-whisper, and importing it costs seconds.
# tests/test_language_codes.py checks that the two agree.
WHISPER_CODES: tuple[str, ...] = (
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha "
    "haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr "
    "ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg "
    "th tk tl tr tt uk ur uz vi yi yo zh yue"
).split()
_WHISPER = frozenset(WHISPER_CODES)

# The overrides babelfish cannot know (every other code is its ISO 639 tables):
# - codes read in, which no ISO 639 table has: Whisper's "jw" for Javanese (ISO 639-1 "jv"),
#   and the withdrawn ISO 639-1 codes older files are still tagged with;
_READ_AS = {"jw": "jv", "iw": "he", "in": "id", "ji": "yi", "mo": "ro"}
# - Whisper's code where it is not the ISO one;
_TO_WHISPER = {"jv": "jw"}
# - English names: babelfish's (ISO 639's reference names) without qualifiers such as
#   "(macrolanguage)", except where the usual name differs ("Modern Greek (1453-)").
_NAMES = {
    "el": "Greek",
    "km": "Khmer",
    "pa": "Punjabi",
    "ps": "Pashto",
    "ht": "Haitian Creole",
    "yue": "Cantonese",
    "und": "Unknown language",
}
# Hawaiian ("haw") and Cantonese ("yue") have no ISO 639-1 code: their suffix and, for
# Cantonese (which has no 639-2 code either: 639-2's "chi" would read back as Mandarin's
# "zh"), their track tag is the ISO 639-3 code, which Matroska players and media servers read.


def _clean(code: str) -> str:
    """'DE', ' de ', 'pt-BR', 'pt_BR' -> the bare lower-case language part."""
    return re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]


@lru_cache(maxsize=1024)
def _language(code: str) -> Any | None:
    """babelfish's Language for a cleaned code of 2 or 3 letters, None when none is."""
    from babelfish import Error, Language

    code = _READ_AS.get(code, code)
    try:
        if len(code) == 2:
            return Language.fromalpha2(code)
        if len(code) == 3:
            try:
                return Language(code)  # ISO 639-3, which holds every 639-2/T code
            except ValueError:
                return Language.fromalpha3b(code)  # "ger", "fre", "chi"...
    except (ValueError, Error):
        return None
    return None


def to_639_1(code: str | None) -> str | None:
    """Any of 'de', 'deu', 'ger', 'DE' -> 'de'; 639-3 where there is no 639-1 ('haw');
    Whisper's 'jw' -> 'jv'; an unknown code -> itself, lower-cased."""
    if not code:
        return None
    c = _clean(code)
    if c in _WHISPER:  # the common case, without loading babelfish's tables
        return _READ_AS.get(c, c)
    lang = _language(c)
    if lang is None:
        return c
    try:
        return str(lang.alpha2)
    except Exception:  # noqa: BLE001 - babelfish's LanguageConvertError: no 639-1 code
        return str(lang.alpha3)


def to_639_2(code: str | None) -> str:
    """The Matroska tag: ISO 639-2/B ('ger', 'fre', 'lit'); 639-3 where 639-2 has no code
    ('yue'); 'und' for no language, an unknown 3-letter code as it is."""
    if not code:
        return "und"
    c = _clean(code)
    lang = _language(c)
    if lang is None:
        return c if len(c) == 3 and c.isalpha() else "und"
    try:
        return str(lang.alpha3b)
    except Exception:  # noqa: BLE001 - no 639-2 code
        return str(lang.alpha3)


def name(code: str | None) -> str:
    """The language's English name ('German'), 'Unknown language' for an unknown code."""
    if not code:
        return "Unknown language"
    lang = _language(_clean(code))
    if lang is None:
        return "Unknown language"
    key = to_639_1(code)
    return _NAMES.get(key or "", re.sub(r"\s*\(.*\)$", "", str(lang.name)))


def whisper_code(code: str | None) -> str | None:
    """The code faster-whisper takes for this language ('deu' -> 'de', 'jv' -> 'jw'), or
    None when Whisper cannot transcribe it (faster-whisper would refuse it at asr, after
    demux, VAD and diarization had run: pre-flight asks this first)."""
    one = to_639_1(code)
    if one is None:
        return None
    found = _TO_WHISPER.get(one, one)
    return found if found in _WHISPER else None


def same_language(a: str | None, b: str | None) -> bool:
    """Whether two codes, in any form ('lt', 'lit', 'LT'), are one language."""
    return bool(a and b) and to_639_1(a) == to_639_1(b)
