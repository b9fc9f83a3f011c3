"""The style gates of the project, enforced in CI: ruff, snakefmt, snakemake --lint."""

import subprocess
import sys
from pathlib import Path

from conftest import REPO, env

BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True, timeout=300)


def test_ruff_clean():
    check = run(str(BIN / "ruff"), "check", ".")
    assert check.returncode == 0, check.stdout
    fmt = run(str(BIN / "ruff"), "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout


def test_snakefmt_clean():
    proc = run(str(BIN / "snakefmt"), "--check", "Snakefile", "rules/")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint_clean():
    proc = run(str(BIN / "snakemake"), "--lint", "--cores", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations" in proc.stdout + proc.stderr
