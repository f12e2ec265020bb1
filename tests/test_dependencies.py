"""The dependencies pyproject declares are exactly those the package imports (deptry, with its
settings in pyproject): none unused, none imported without being declared, no test or
benchmark tool imported by the package."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_declared_dependencies_are_the_imported_ones() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deptry", ".", "--no-ansi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
