"""peak.py RSS_FILE CMD...: run CMD, write its peak RSS (KiB, the whole waited-for tree)
to RSS_FILE, exit with its exit code.

Why a separate small process: on Linux a child's ru_maxrss starts at the RSS its
parent had when it forked, so measuring from bench/run.py itself (which holds audio
arrays) would put a floor of ~100-160 MB under every figure. This launcher is a fresh
interpreter of ~10 MB, so the floor is that.
"""

import os
import subprocess
import sys

if __name__ == "__main__":
    out, cmd = sys.argv[1], sys.argv[2:]
    p = subprocess.Popen(cmd)
    _, status, ru = os.wait4(p.pid, 0)
    with open(out, "w") as f:
        f.write(str(ru.ru_maxrss))
    sys.exit(os.waitstatus_to_exitcode(status))
