"""The README's test command, where it cannot set up: one sentence, never a traceback."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_venv_without_pip_is_told_how_to_make_one(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "scripts/test.py", "--collect-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    problem = done.stderr.strip().splitlines()[-1]
    assert "has no pip" in problem
    assert "python3 -m venv" in problem


def test_the_tests_run_on_every_core_unless_told_otherwise() -> None:
    """pytest-xdist, a worker per core; the reader's own ``-n`` comes after, so it wins."""
    pytest_command = runpy.run_path(str(ROOT / "scripts" / "test.py"))["pytest_command"]
    command = pytest_command(["-n", "0", "-x"])
    assert command[:3] == [sys.executable, "-m", "pytest"]
    assert command[3:] == ["-n", "auto", "--dist", "loadgroup", "-n", "0", "-x"]
