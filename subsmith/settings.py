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

import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
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
    from snakemake.utils import validate

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    if path is not None:
        config = _merge(config, yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
    upgrade(config)
    validate(config, str(SCHEMA))
    return config


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
