"""The PostgreSQL driver and the job queue are the ``postgres`` extra: a SQLite store never
imports them, and a PostgreSQL URL without them says in one sentence what to install.

Each check runs a fresh Python process, since what matters is what a new ``bulkpoc`` loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

POSTGRES_EXTRA = ("psycopg", "procrastinate")
SKILLS = Path(__file__).resolve().parent.parent / "sample_files" / "skills.csv"
MISSING_EXTRA = (
    "Error: A PostgreSQL store needs bulkpoc's postgres extra: pip install 'bulkpoc[postgres]'.\n"
)

# Runs bulkpoc commands (one list of arguments per line of argv[1]) in this process, then prints
# which of the extra's modules were imported. argv[2] names modules to hide, as if not installed.
BULKPOC = """
import json, sys
hidden = json.loads(sys.argv[2])
sys.modules.update(dict.fromkeys(hidden))  # None: "import psycopg" fails as when not installed
from bulkpoc.cli import cli
for args in json.loads(sys.argv[1]):
    try:
        cli.main(args, prog_name="bulkpoc")
    except SystemExit as stop:
        if stop.code:
            sys.exit(stop.code)
extra = json.loads(sys.argv[3])
print(json.dumps(sorted(name for name in extra if sys.modules.get(name) is not None)))
"""


def bulkpoc(commands: list[list[str]], cwd: Path, hidden: tuple[str, ...] = ()):
    arguments = [json.dumps(commands), json.dumps(hidden), json.dumps(POSTGRES_EXTRA)]
    return subprocess.run(
        [sys.executable, "-c", BULKPOC, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_sqlite_store_imports_neither_the_postgres_driver_nor_the_job_queue(tmp_path):
    store = f"sqlite:///{tmp_path / 'bulkpoc.db'}"
    run = bulkpoc(
        [["--db", store, "init"], ["--db", store, "import", str(SKILLS), "--type", "skill"]],
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert " succeeded: 9 rows, 9 created," in run.stdout
    assert json.loads(run.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("hidden", [POSTGRES_EXTRA, ("psycopg",), ("procrastinate",)])
def test_a_postgresql_url_without_the_postgres_extra_says_what_to_install(tmp_path, hidden):
    """Exit 2, as for any setting bulkpoc cannot use; no server is reached, no traceback."""
    url = "postgresql://postgres@127.0.0.1:5432/bulkpoc"
    run = bulkpoc([["--db", url, "history"]], cwd=tmp_path, hidden=hidden)
    assert run.returncode == 2
    assert run.stderr == MISSING_EXTRA
    assert run.stdout == ""
