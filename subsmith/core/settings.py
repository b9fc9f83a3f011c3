"""The configuration outside Snakemake, and the options each stage builds from it.

config.yaml holds every default (config.schema.yaml validates it, describes every key and
fills the same values into a partial config; tests/test_config.py checks that the two
agree). The code repeats none of them: a stage's options are a dataclass built from its
config section by `options()`, which refuses a section with a key missing, so a default
cannot creep back into a function signature. `load()` gives the tools that run without
Snakemake (check-srt, the benchmarks, the tests) the same config the workflow sees.

Named settings, not config: the Snakefile's `config` is a global this must not shadow.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

# The checkout: the folder that holds the subsmith package, however deep this module sits
# in it (issue 30's wings move it one floor down).
ROOT = next(p.parent for p in Path(__file__).resolve().parents if p.name == "subsmith")
CONFIG = ROOT / "config.yaml"
SCHEMA = ROOT / "config.schema.yaml"

# Old section name -> the rule it feeds, read with a warning for one more release.
RENAMED = {"vad": "silero_vad", "subtitles": "srt_generation"}

T = TypeVar("T")


def upgrade(config: dict[str, Any]) -> list[str]:
    """Move deprecated sections to their new names, in place; one warning line each.

    The old section's keys win over the new one's: the new section holds config.yaml's
    defaults (Snakemake merges a --configfile over them), the old one what the user wrote.
    """
    warnings = []
    for old, new in RENAMED.items():
        if old in config:
            section = config.pop(old) or {}
            config[new] = {**(config.get(new) or {}), **section}
            warnings.append(
                f"subsmith: config section `{old}:` is deprecated, rename it `{new}:` "
                f"(read as `{new}:` this release; the next one will refuse it)"
            )
    for line in warnings:
        print(line, file=sys.stderr)
    return warnings


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, section by section (what Snakemake does with --configfile)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """config.yaml, with the file at `path` (if any) merged over it, upgraded and validated."""
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    if path is not None:
        config = _merge(config, yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
    upgrade(config)
    validate(config)
    canonical(config)
    return config


def canonical(config: dict[str, Any]) -> None:
    """The language codes in their one form, in place: ISO 639-1 where there is one
    ("deu", "ger", "DE" -> "de"), so the sidecar is `<movie>.de.srt` whichever form the
    user wrote and Whisper gets a code it knows (it refuses "deu" at asr, after demux,
    VAD and diarization ran). An unknown code stays as written: pre-flight refuses it."""
    from . import languages

    if config.get("language") not in (None, "auto"):
        config["language"] = languages.to_639_1(str(config["language"]))
    demux = config.get("demux") or {}
    if demux.get("audio_language"):
        demux["audio_language"] = languages.to_639_1(str(demux["audio_language"]))


# --- validation: one line per config error ----------------------------------------------


class ConfigError(ValueError):
    """A config the schema refuses; the message is one line: the key's path, what it
    expected, what it got (and for an unknown key the nearest valid one)."""


def validate(config: dict[str, Any], schema_path: str | os.PathLike[str] = SCHEMA) -> None:
    """Check `config` against config.schema.yaml and fill the defaults it leaves out.

    Instead of snakemake.utils.validate, whose error prints the whole schema and config
    (2,187 lines for one misspelled key): the same Draft 2020-12 check and the same
    default filling, with the first error made one line (and how many more there are).
    """
    import yaml
    from jsonschema import Draft202012Validator, validators

    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    check_properties = Draft202012Validator.VALIDATORS["properties"]

    def fill_defaults(
        validator: Any, properties: dict[str, Any], instance: Any, subschema: dict[str, Any]
    ) -> Iterator[Any]:
        """jsonschema's `properties` check, after setting each missing key's default."""
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(key, copy.deepcopy(sub["default"]))
        yield from check_properties(validator, properties, instance, subschema)

    filling = validators.extend(Draft202012Validator, {"properties": fill_defaults})
    errors = list(filling(schema).iter_errors(config))
    if errors:
        paths = {tuple(e.absolute_path) for e in errors}  # a value can fail two rules
        raise ConfigError(describe(errors[0], schema, len(paths) - 1))


def describe(error: Any, schema: Mapping[str, Any], more: int = 0) -> str:
    """One line for a jsonschema ValidationError: `subsmith: config <path>: ...`."""
    path = [str(p) for p in error.absolute_path]
    node = _schema_at(schema, path)
    where = ".".join(path)
    tail = f" ({more} more problem{'s' if more > 1 else ''} after it)" if more else ""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(node.get("properties", {}))
        key = next((str(k) for k in error.instance if k not in known), "?")
        near = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
        if near:
            fix = f"did you mean `{'.'.join([*path, near[0]])}`?"
        else:
            fix = f"the keys{' of ' + where if where else ''} are {', '.join(known)}"
        return f"subsmith: config `{'.'.join([*path, key])}`: unknown key; {fix}{tail}"
    return (
        f"subsmith: config `{where or '(top level)'}`: expected {expected(node)}, "
        f"got {_shown(error.instance)}{tail}"
    )


def _schema_at(schema: Mapping[str, Any], path: list[str]) -> Mapping[str, Any]:
    """The subschema that describes the key at `path` (only properties and items nest)."""
    node = schema
    for key in path:
        if key in node.get("properties", {}):
            node = node["properties"][key]
        elif "items" in node:
            node = node["items"]
        else:
            return {}
    return node


_TYPES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a section of keys",
    "null": "null",
}


def expected(node: Mapping[str, Any]) -> str:
    """What a subschema accepts, in words: "a whole number from 1 to 20 or 'auto'"."""
    for choice in ("anyOf", "oneOf"):
        if choice in node:
            return " or ".join(expected(sub) for sub in node[choice])
    if "const" in node:
        return _shown(node["const"])
    if "enum" in node:
        return "one of " + ", ".join(str(v) for v in node["enum"])
    kinds = node.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    words = " or ".join(_TYPES.get(k, k) for k in kinds if k != "null") or "a value"
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None and high is not None:
        words += f" from {low} to {high}"
    elif low is not None:
        words += f" of at least {low}"
    elif high is not None:
        words += f" of at most {high}"
    above, below = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    if above is not None and below is not None:
        words += f" between {above} and {below} (neither included)"
    elif above is not None:
        words += f" above {above}"
    elif below is not None:
        words += f" below {below}"
    if "pattern" in node:
        words += f" matching {node['pattern']}"
    if node.get("minItems"):
        words += f" of at least {node['minItems']} item(s)"
    if "items" in node:
        words += f" of {expected(node['items'])}"
    if "null" in kinds:
        words += " or null"
    return words


def _shown(value: Any) -> str:
    """A value as the user wrote it (YAML-ish), cut to one short piece of a line."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def options(cls: type[T], section: Mapping[str, Any], name: str) -> T:
    """`cls` (a dataclass) from its config section: every field is a key of the section.

    Other keys are ignored (a section may carry settings the stage reads elsewhere, and
    a deprecated section may still carry old ones). int and float fields are converted,
    so a value given on the command line as text ("37") works as it does in the YAML.
    """
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in section]  # type: ignore[arg-type]
    if missing:
        raise ValueError(
            f"config section {name}: missing {', '.join(missing)} "
            f"(config.yaml sets every key; see {SCHEMA.name})"
        )
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = section[f.name]
        kind = int if f.type in (int, "int") else float if f.type in (float, "float") else None
        kwargs[f.name] = kind(value) if kind is not None and value is not None else value
    return cls(**kwargs)
