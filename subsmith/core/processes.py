"""Is a process of this machine still there? One answer for every caller: the
watchdog (is the job gone), `subsmith status` (a `running` stage whose process is gone
was interrupted) and the temp-file sweep (was its writer killed)."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while `pid` runs on this machine. A process of another user counts as alive
    (kill(0) is refused, not failed); a zombie, which still answers kill(0), as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
