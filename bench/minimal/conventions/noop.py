"""Never runs: the conventions baseline is only ever dry-run (bench/run.py, section 3)."""
