"""The package tree is the architecture: the import-linter contracts in pyproject.toml hold the
dependency rule the README describes (How it works), and they catch a break of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the package found under ``root``, with the contracts there."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_import_keeps_the_layers_and_no_package_has_a_cycle():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 3 kept, 0 broken." in run.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("domain/users.py", "import sqlalchemy", "The domain knows no database BROKEN"),
        (
            "domain/users.py",
            "from bulkpoc.store import schema",
            "Entrypoints over jobs over the batch over adapters over the domain BROKEN",
        ),
        (
            "store/schema.py",
            "from bulkpoc.batch import read",
            "Entrypoints over jobs over the batch over adapters over the domain BROKEN",
        ),
        (
            "web/templating.py",
            "from bulkpoc.web import app",
            "No import cycles between the modules or packages of any package BROKEN",
        ),
    ],
)
def test_an_import_against_the_rule_breaks_a_contract(tmp_path, module, line, broken):
    shutil.copytree(ROOT / "bulkpoc", tmp_path / "bulkpoc")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    changed = tmp_path / "bulkpoc" / module
    changed.write_text(changed.read_text() + f"\n{line}\n")
    run = lint_imports(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert broken in run.stdout
