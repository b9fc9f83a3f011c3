"""config.yaml, its schema, and the environment files agree."""

import copy
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

REPO = Path(__file__).resolve().parent.parent
SCHEMA = str(REPO / "config.schema.yaml")


def config() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_shipped_config_is_valid_and_complete():
    cfg = config()
    validate(cfg, SCHEMA)
    assert cfg["asr"]["model"] == "auto"
    assert set(cfg["timeouts"]) == set(cfg["threads"]) == set(cfg["mem_mb"])


def test_schema_fills_defaults():
    cfg = {"input_dir": "in"}
    validate(cfg, SCHEMA)
    assert cfg["subtitles"]["max_line_chars"] == 42
    assert cfg["timeouts"]["asr"] == 21600
    assert cfg["language"] == "en"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("timeouts", "asr"), "soon"),
        (("subtitles", "max_line_chars"), 4.5),
        (("language",), "English"),
        (("asr", "device"), "tpu"),
        (("no_such_key",), 1),
    ],
)
def test_wrong_values_are_rejected(path, value):
    cfg = copy.deepcopy(config())
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(WorkflowError):
        validate(cfg, SCHEMA)


def _pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        m = re.match(r"^\s*-?\s*\"?([A-Za-z0-9_.\-\[\]]+)==([^\"\s,]+)", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_conda_env_pins_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pyproject = _pins(project["dependencies"])
    for env in (REPO / "envs").glob("*.yaml"):
        pins = _pins(env.read_text().splitlines())
        assert pins, env
        assert pins == pyproject, f"{env.name} and pyproject.toml pin different versions"


def test_every_rule_logs_and_declares_resources():
    text = "".join(p.read_text() for p in (REPO / "rules").glob("*.smk"))
    rules = re.split(r"^(?:rule|checkpoint) ", text, flags=re.M)[1:]
    assert len(rules) >= 5
    for body in rules:
        name = body.split(":", 1)[0]
        for directive in ("log:", "threads:", "resources:", "mem_mb=", "runtime=", "conda:"):
            assert directive in body, f"rule {name} has no {directive}"
