"""Check each rule's script once per DAG, not once per job.

Before it schedules anything (a dry run included), Snakemake 9 checks that the script of
every `script:` job that has to run can be read: `ScriptProcessor.process_job` in
snakemake/dag.py calls `script.get_source`, which parses the path three times with
smart_open's `parse_uri` (smart_open 7 builds a new namedtuple class on each call) and
reads the whole file through the source cache. subsmith's rules are all `script:` rules,
so on a library of 1,000 movies that is 5,000 identical checks of five files: about a
fifth of `snakemake --dry-run`'s time there, and most of the gap to a minimal
`shell:` workflow of the same shape (bench/results.md, section 3). Snakemake 9.27.1 is
the newest release and requires smart-open<8, so neither can be upgraded away from it.

A script path without wildcards or params (`{`) names the same file for every job of its
rule, so the first check of a rule answers for the rest: later jobs of that rule are
skipped, an unreadable script still fails the first job's check with Snakemake's own
error, and paths with `{` are checked per job as before. The memo lives on the processor,
which belongs to one DAG, so a new DAG (another run, a `--target-jobs` job) checks again.

The patch applies only to the Snakemake versions it was read against; on any other
version nothing is changed and Snakemake checks every job as it always has.
`SUBSMITH_CHECK_EVERY_SCRIPT=1` turns it off (bench/run.py measures both).
"""

from __future__ import annotations

import os
from typing import Any

# Versions whose ScriptProcessor was read and whose behaviour the tests pin.
TESTED_VERSIONS = ("9.27.1",)
_MEMO = "_subsmith_checked_rules"


def install() -> bool:
    """Patch Snakemake's per-job script check; True if it is (now or already) patched."""
    if os.environ.get("SUBSMITH_CHECK_EVERY_SCRIPT") == "1":
        return False
    import snakemake
    from snakemake import dag

    if snakemake.__version__ not in TESTED_VERSIONS:
        return False
    processor = getattr(dag, "ScriptProcessor", None)
    original = getattr(processor, "process_job", None)
    if original is None:
        return False
    if getattr(original, "_subsmith_original", None) is not None:
        return True

    def process_job(self: Any, job: Any) -> None:
        kind = self.script_type  # "script", or "notebook" for NotebookProcessor
        entry = getattr(job.rule, kind, None) if getattr(job, f"is_{kind}", False) else None
        if entry is None or "{" in str(entry):
            original(self, job)
            return
        checked = self.__dict__.setdefault(_MEMO, set())
        if job.rule.name in checked:
            return
        original(self, job)  # raises WorkflowError if the script cannot be read
        checked.add(job.rule.name)

    process_job._subsmith_original = original  # type: ignore[attr-defined]
    processor.process_job = process_job
    return True
