"""config.yaml, its schema, and the environment files agree."""

import copy
import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import run_snakemake
from subsmith.core import settings
from subsmith.harness.library import LibraryOptions
from subsmith.harness.stages import AREAS, BY_NAME, STAGE_NAMES, STAGES, rule_problems
from subsmith.media.mux import MuxOptions
from subsmith.media.probe import DemuxOptions
from subsmith.metadata.tmdb import TmdbOptions
from subsmith.speech.asr import AsrOptions
from subsmith.speech.vad.silero import VadOptions
from subsmith.subtitles import SubtitleRules

REPO = Path(__file__).resolve().parent.parent
SCHEMA = str(REPO / "config.schema.yaml")


def config() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_shipped_config_is_valid_and_complete():
    cfg = config()
    settings.validate(cfg)
    assert cfg["asr"]["model"] == "auto"
    assert set(cfg["timeouts"]) == set(cfg["threads"]) == set(cfg["mem_mb"])
    assert set(cfg["timeouts"]) == set(STAGE_NAMES)  # one entry per stage of the table


def test_schema_fills_defaults():
    cfg = {"input_dir": "in"}
    settings.validate(cfg)
    assert cfg["srt_generation"]["max_line_chars"] == 42
    assert cfg["timeouts"]["asr"] == 21600
    assert cfg["language"] == "en"


def test_config_yaml_and_the_schema_defaults_are_the_same_values():
    """Two files, one fact: a config that leaves every key out gets config.yaml's values."""
    filled: dict = {}
    settings.validate(filled)
    assert filled == config()


def _keys(node: dict, path: str = ""):
    for key, sub in node.get("properties", {}).items():
        yield f"{path}{key}", sub
        yield from _keys(sub, f"{path}{key}.")


def test_every_schema_key_has_a_description():
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    keys = list(_keys(schema))
    assert len(keys) > 40
    missing = [k for k, sub in keys if not str(sub.get("description", "")).strip()]
    assert not missing, f"keys without a description: {missing}"


@pytest.mark.parametrize(
    ("cls", "section"),
    [
        (VadOptions, "silero_vad"),
        (AsrOptions, "asr"),
        (SubtitleRules, "srt_generation"),
        (MuxOptions, "mux"),
        (DemuxOptions, "demux"),
        (TmdbOptions, "tmdb"),
    ],
)
def test_each_options_class_is_built_from_its_section_and_defaults_nothing(cls, section):
    cfg = config()[section]
    opts = cls.from_config(cfg)
    for f in dataclasses.fields(cls):
        assert f.default is dataclasses.MISSING, f"{cls.__name__}.{f.name} has a default in code"
        assert getattr(opts, f.name) == cfg[f.name]
    with pytest.raises(ValueError, match=f"config section {section}: missing"):
        cls.from_config({})


def test_the_library_options_are_built_from_the_top_level_keys():
    cfg = config()
    opts = LibraryOptions.from_config(cfg)
    for f in dataclasses.fields(LibraryOptions):
        assert f.default is dataclasses.MISSING
        assert getattr(opts, f.name) == cfg[f.name]


def test_the_deprecated_vad_section_is_read_as_silero_vad(capsys):
    cfg = {"vad": {"threshold": 0.6}, "silero_vad": {"threshold": 0.5, "speech_pad_ms": 200}}
    assert settings.upgrade(cfg)
    assert cfg == {"silero_vad": {"threshold": 0.6, "speech_pad_ms": 200}}
    assert "`vad:` is deprecated, rename it `silero_vad:`" in capsys.readouterr().err
    assert settings.upgrade(cfg) == []  # the new name: no warning


def test_the_deprecated_subtitles_section_is_read_as_srt_generation(tmp_path, capsys):
    old = tmp_path / "old.yaml"
    old.write_text("subtitles:\n  max_line_chars: 37\n")
    cfg = settings.load(old)
    assert "subtitles" not in cfg
    assert SubtitleRules.from_config(cfg["srt_generation"]).max_line_chars == 37
    assert cfg["srt_generation"]["max_lines"] == config()["srt_generation"]["max_lines"]
    assert capsys.readouterr().err.strip() == (
        "subsmith: config section `subtitles:` is deprecated, rename it `srt_generation:` "
        "(read as `srt_generation:` this release; the next one will refuse it)"
    )


def test_a_config_file_with_the_old_section_names_still_runs_with_a_warning(tmp_path):
    """Through Snakemake: the old sections reach their stages (the schema, which knows only
    the new names, would refuse them otherwise) and the user is told to rename them."""
    old = tmp_path / "old.yaml"
    old.write_text("vad:\n  threshold: 0.6\nsubtitles:\n  formats: [srt, vtt]\n")
    assert settings.load(old)["silero_vad"]["threshold"] == 0.6
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "Movie.mkv").write_bytes(b"")  # a dry run reads no movie
    proc = run_snakemake(tmp_path, "--dry-run", "--configfile", str(old))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "config section `vad:` is deprecated, rename it `silero_vad:`" in proc.stderr
    assert "config section `subtitles:` is deprecated, rename it `srt_generation:`" in proc.stderr
    assert "silero_vad" in proc.stdout
    # The old section's formats reached srt_generation: it is to write the WebVTT file.
    assert "out/Movie/Movie.en.vtt" in proc.stdout


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("timeouts", "asr"), "soon"),
        (("srt_generation", "max_line_chars"), 4.5),
        (("language",), "English"),
        (("asr", "device"), "tpu"),
        (("asr", "beam_size"), "wide"),
        (("asr", "beam_size"), 0),
        (("no_such_key",), 1),
    ],
)
def test_wrong_values_are_rejected(path, value):
    cfg = copy.deepcopy(config())
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(settings.ConfigError):
        settings.validate(cfg)


def _pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        m = re.match(r"^\s*-?\s*\"?([A-Za-z0-9_.\-\[\]]+)==([^\"\s,]+)", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_conda_env_pins_match_pyproject():
    """One env per area, each pinned to pyproject's versions, every dependency in one."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pyproject = _pins(project["dependencies"])
    envs = {env.stem: env for env in (REPO / "envs").glob("*.yaml")}
    assert sorted(envs) == sorted(AREAS)
    pinned: dict[str, str] = {}
    for env in envs.values():
        pins = _pins(env.read_text().splitlines())
        assert pins, env
        assert pins.items() <= pyproject.items(), (
            f"{env.name} and pyproject.toml pin different versions"
        )
        pinned |= pins
    assert pinned == pyproject, "a dependency of pyproject.toml is in no env"


def test_every_rule_logs_and_declares_resources():
    text = "".join(p.read_text() for p in (REPO / "rules").glob("*.smk"))
    rules = re.split(r"^(?:rule|checkpoint) ", text, flags=re.M)[1:]
    assert len(rules) >= 5
    for body in rules:
        name = body.split(":", 1)[0]
        for directive in ("log:", "threads:", "resources:", "mem_mb=", "runtime=", "conda:"):
            assert directive in body, f"rule {name} has no {directive}"


def test_each_rule_file_is_one_area_with_its_own_env():
    """rules/<area>.smk holds that area's stages (as the stage table says), each with
    conda: envs/<area>.yaml and its script scripts/<rule>.py: one hop from rule to code."""
    for smk in (REPO / "rules").glob("*.smk"):
        if smk.stem == "common":
            continue
        for body in re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]:
            name = body.split(":", 1)[0]
            assert BY_NAME[name].area == smk.stem, f"rule {name} is in {smk.name}"
            assert f'"../envs/{smk.stem}.yaml"' in body, f"rule {name}: not envs/{smk.stem}.yaml"
            assert f'"../scripts/{name}.py"' in body, f"rule {name}: not scripts/{name}.py"
            assert (REPO / "scripts" / f"{name}.py").exists()


def test_rule_problems_names_each_mismatch_with_the_stage_table():
    good = [(s.name, f"/x/rules/{s.area}.smk") for s in STAGES] + [("all", "/x/Snakefile")]
    assert rule_problems(good) == []
    moved = [(n, "/x/rules/media.smk" if n == "asr" else f) for n, f in good]
    assert rule_problems(moved) == ["rule asr is in media.smk, its area's file is rules/speech.smk"]
    assert rule_problems([*good[1:], ("subtitler", "/x/rules/speech.smk")]) == [
        "stage demux (subsmith/harness/stages.py) has no rule",
        "rule subtitler is no stage of subsmith/harness/stages.py: add it there",
    ]
