"""Print a CTranslate2 instruction set below this CPU's best, for `make test-isa`.

CTranslate2's int8 output differs by instruction set (AVX-512 and AVX2 round
differently), so the next CI or user's CPU may decode other text than this one. The
speech tests run once more with CT2_FORCE_CPU_ISA set to what this prints, so a test
that holds on one CPU's arithmetic only fails here, before it lands. Only a lower set
than the CPU has is ever chosen: a higher one would not run."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def second_isa(flags: set[str], machine: str) -> str:
    """The set just below the best this CPU runs (CTranslate2's names)."""
    if machine not in ("x86_64", "AMD64"):
        return "GENERIC"  # ARM: NEON is the best, GENERIC the other
    if "avx512f" in flags:
        return "AVX2"
    if "avx2" in flags:
        return "AVX"
    return "GENERIC"


if __name__ == "__main__":
    print(second_isa(cpu_flags(), platform.machine()))
