"""Language codes: Whisper speaks ISO 639-1 ("en"), Matroska tags want ISO 639-2/B ("eng")."""

from __future__ import annotations

# ISO 639-1 -> (ISO 639-2/B, English name), for the languages Whisper handles best.
_LANGS: dict[str, tuple[str, str]] = {
    "en": ("eng", "English"),
    "fr": ("fre", "French"),
    "de": ("ger", "German"),
    "es": ("spa", "Spanish"),
    "it": ("ita", "Italian"),
    "pt": ("por", "Portuguese"),
    "nl": ("dut", "Dutch"),
    "sv": ("swe", "Swedish"),
    "da": ("dan", "Danish"),
    "no": ("nor", "Norwegian"),
    "fi": ("fin", "Finnish"),
    "pl": ("pol", "Polish"),
    "cs": ("cze", "Czech"),
    "sk": ("slo", "Slovak"),
    "hu": ("hun", "Hungarian"),
    "ro": ("rum", "Romanian"),
    "el": ("gre", "Greek"),
    "tr": ("tur", "Turkish"),
    "ru": ("rus", "Russian"),
    "uk": ("ukr", "Ukrainian"),
    "bg": ("bul", "Bulgarian"),
    "hr": ("hrv", "Croatian"),
    "sr": ("srp", "Serbian"),
    "he": ("heb", "Hebrew"),
    "ar": ("ara", "Arabic"),
    "fa": ("per", "Persian"),
    "hi": ("hin", "Hindi"),
    "bn": ("ben", "Bengali"),
    "ta": ("tam", "Tamil"),
    "ur": ("urd", "Urdu"),
    "zh": ("chi", "Chinese"),
    "ja": ("jpn", "Japanese"),
    "ko": ("kor", "Korean"),
    "vi": ("vie", "Vietnamese"),
    "th": ("tha", "Thai"),
    "id": ("ind", "Indonesian"),
    "ms": ("may", "Malay"),
    "ca": ("cat", "Catalan"),
    "is": ("ice", "Icelandic"),
    "ga": ("gle", "Irish"),
    "cy": ("wel", "Welsh"),
}
# ISO 639-2/T variants that differ from /B, and the /B codes themselves.
_ALIASES: dict[str, str] = {
    "fra": "fr",
    "deu": "de",
    "nld": "nl",
    "ces": "cs",
    "slk": "sk",
    "ron": "ro",
    "ell": "el",
    "fas": "fa",
    "zho": "zh",
    "msa": "ms",
    "isl": "is",
    "cym": "cy",
    **{b: one for one, (b, _) in _LANGS.items()},
}


def to_639_1(code: str | None) -> str | None:
    """Any of 'en', 'eng', 'EN' -> 'en'; unknown -> the lower-cased input."""
    if not code:
        return None
    code = code.strip().lower()
    return _ALIASES.get(code, code)


def to_639_2(code: str | None) -> str:
    one = to_639_1(code)
    if one in _LANGS:
        return _LANGS[one][0]
    return one if one and len(one) == 3 else "und"


def name(code: str | None) -> str:
    one = to_639_1(code)
    return _LANGS[one][1] if one in _LANGS else "Unknown language"


def same_language(a: str | None, b: str | None) -> bool:
    return bool(a and b) and to_639_1(a) == to_639_1(b)
