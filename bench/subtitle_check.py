"""Section 5: every SRT the bench wrote, through `subsmith check-srt`'s checker.

bench/subtitle_check.py [--work bench/work]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common import CONFIG, standalone_work


def measure(work: Path) -> dict:
    """Issue 5's bar on every transcript the bench produced: the checker of
    `subsmith check-srt` finds no hard violation, and >= 95 % of cues are within the
    reading speed."""
    from subsmith.subtitles import SubtitleRules, check_file

    rules = SubtitleRules.from_config(CONFIG["srt_generation"])
    files = sorted(work.rglob("*.srt"))
    reports = [check_file(f, rules) for f in files]
    return {
        "files": len(files),
        "cues": sum(x.cues for x in reports),
        "errors": sum(len(x.errors) for x in reports),
        "files_with_errors": [x.path for x in reports if x.errors],
        "min_within_cps": min((x.within_cps for x in reports), default=1.0),
        "below_95": [x.path for x in reports if x.within_cps < 0.95],
    }


def main(argv: list[str] | None = None) -> int:
    """Standalone: the SRTs under --work; prints the results as JSON (run.py runs it within `make bench`)."""
    quick, work = standalone_work(__doc__, argv)
    print(json.dumps(measure(work), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
