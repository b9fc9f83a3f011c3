"""The per-movie report page and the library page: where the subtitles can be trusted.

Owns: gathering what the stages left in out/<movie>/ (`movie`), the one quality
estimate per movie and per cue with its flags (`quality`, the formula and every
threshold in one place), the timeline picture as inline SVG (`timeline`), the
self-contained report.html (`page`) and out/index.html over the whole library
(`library`). Nothing here is critical: the report stage never fails a movie, and the
library page never fails a run.
"""

from __future__ import annotations

from .library import write_index
from .page import build_report

__all__ = ["build_report", "write_index"]
