"""Issue 29: a config error is one line (the key's path, what was expected, what was
given; for an unknown key the nearest valid one), through the real `snakemake` CLI too,
where a misspelled key used to print 2,187 lines (the whole schema and config)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from conftest import run_snakemake
from subsmith.core import settings

REPO = Path(__file__).resolve().parent.parent
SHIPPED = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
SNAKEMAKE_OWN = ("Using workflow specific profile",)

CASES = [
    (
        "langauge: de\n",
        "subsmith: config `langauge`: unknown key; did you mean `language`?",
    ),
    (
        "asr:\n  beem_size: 3\n",
        "subsmith: config `asr.beem_size`: unknown key; did you mean `asr.beam_size`?",
    ),
    (
        "diarization:\n  clustering:\n    methd: spectral\n",
        "subsmith: config `diarization.clustering.methd`: unknown key; "
        "did you mean `diarization.clustering.method`?",
    ),
    (
        "asr:\n  beam_size: wide\n",
        "subsmith: config `asr.beam_size`: expected a whole number from 1 to 20 or 'auto', "
        "got 'wide'",
    ),
    (
        "silero_vad:\n  threshold: 1.5\n",
        "subsmith: config `silero_vad.threshold`: expected a number between 0 and 1 "
        "(neither included), got 1.5",
    ),
    (
        "timeouts:\n  asr: soon\n",
        "subsmith: config `timeouts.asr`: expected a number above 0, got 'soon'",
    ),
    ("asr: 5\n", "subsmith: config `asr`: expected a section of keys, got 5"),
]


def _objects(node, path=""):
    """Every object of the schema that has keys, with its path."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path or "(top level)", node
        for key, sub in node.get("properties", {}).items():
            yield from _objects(sub, f"{path}.{key}".lstrip("."))
        for key in ("items", "anyOf", "oneOf"):
            subs = node.get(key)
            for sub in subs if isinstance(subs, list) else [subs] if subs else []:
                yield from _objects(sub, path)


def test_every_level_of_the_schema_refuses_unknown_keys():
    schema = yaml.safe_load(settings.SCHEMA.read_text(encoding="utf-8"))
    objects = dict(_objects(schema))
    assert len(objects) >= 15 and "diarization.clustering" in objects
    open_ = [p for p, n in objects.items() if n.get("additionalProperties") is not False]
    assert not open_, f"misspelled keys pass unnoticed in: {open_}"


def test_the_shipped_config_validates_and_an_empty_one_gets_its_values():
    cfg = copy.deepcopy(SHIPPED)
    settings.validate(cfg)
    assert cfg == SHIPPED
    empty: dict = {}
    settings.validate(empty)
    assert empty == SHIPPED


@pytest.mark.parametrize(("text", "line"), CASES, ids=[c[0].split(":")[0] for c in CASES])
def test_each_error_is_one_line(text, line):
    cfg = settings._merge(copy.deepcopy(SHIPPED), yaml.safe_load(text))
    with pytest.raises(settings.ConfigError) as info:
        settings.validate(cfg)
    assert str(info.value) == line


def test_an_unknown_key_with_no_near_one_lists_the_valid_keys():
    with pytest.raises(settings.ConfigError, match=r"`mux.zzz`: unknown key; the keys of mux"):
        settings.validate({"mux": {"zzz": 1}})


def test_more_problems_are_counted_not_printed():
    with pytest.raises(settings.ConfigError) as info:
        settings.validate({"langauge": "de", "asr": {"beam_size": 0}, "mux": 1})
    assert str(info.value).endswith("(2 more problems after it)")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "line"),
    [CASES[0], CASES[2], CASES[3], CASES[4]],
    ids=["top-level key", "nested key", "wrong type", "out of range"],
)
def test_snakemake_prints_the_one_line_and_nothing_runs(tmp_path, text, line):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "Movie.mkv").write_bytes(b"")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    proc = run_snakemake(tmp_path, "--dry-run", "--configfile", str(bad))
    assert proc.returncode != 0
    ours = [s for s in proc.stderr.splitlines() if s.strip() and not s.startswith(SNAKEMAKE_OWN)]
    assert ours == [line], proc.stderr[-3000:]
    assert len(proc.stdout.splitlines()) <= 1, proc.stdout[-2000:]  # Snakemake's "extended by"
    assert not (tmp_path / "out").exists()
