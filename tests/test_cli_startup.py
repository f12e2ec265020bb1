"""The command starts fast because it imports little: ``bulkpoc --help``, ``--version`` and every
command's ``--help`` load click and bulkpoc's own small modules, never pandas, SQLAlchemy,
pydantic or the web stack; those are imported by the commands that use them.

Each check runs a fresh Python process, since what matters is what a new ``bulkpoc`` loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

# Libraries that cost tens to hundreds of milliseconds to import, none needed to show help.
HEAVY = {
    "alembic",
    "argon2",
    "croniter",
    "email_validator",
    "fastapi",
    "jinja2",
    "numpy",
    "openpyxl",
    "pandas",
    "phonenumbers",
    "procrastinate",
    "psycopg",
    "python_multipart",
    "pyarrow",
    "pydantic",
    "pydantic_settings",
    "python_calamine",
    "rapidfuzz",
    "rich",
    "sqlalchemy",
    "starlette",
    "uvicorn",
}

NOT_FOR_A_CSV_IMPORT = {
    "alembic",
    "croniter",  # its import starts the `file` program (platform.architecture())
    "fastapi",
    "openpyxl",
    "procrastinate",
    "rapidfuzz",
    "rich",
    "starlette",
    "uvicorn",
}
NEW_POCS = Path(__file__).resolve().parent.parent / "sample_files" / "new-pocs.csv"

# Asks for the help of the group and of every command and subcommand in one process, and
# prints, after each, the heavy libraries loaded so far: the first command to show one is the
# one that imported it.
EVERY_HELP = """
import contextlib, io, json, sys
import click
from bulkpoc.cli import cli

def commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield [*prefix, name]
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))

heavy = set(json.loads(sys.argv[1]))
for args in [[], *commands(cli)]:
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        try:
            cli.main([*args, "--help"], prog_name="bulkpoc")
        except SystemExit as stop:
            code = stop.code
    loaded = sorted(heavy & {name.partition(".")[0] for name in sys.modules})
    print(json.dumps({"args": args, "code": code, "usage": shown.getvalue()[:50],
                      "heavy": loaded}))
"""


def python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    )


def imported_modules(importtime: str) -> set[str]:
    """The modules a ``python -X importtime`` run reported importing."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def heavy(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules} & HEAVY


def test_bulkpoc_help_imports_no_heavy_library(tmp_path):
    run = python("-X", "importtime", "-m", "bulkpoc", "--help", cwd=tmp_path)
    assert run.stdout.startswith("Usage: bulkpoc [OPTIONS] COMMAND [ARGS]...")
    assert "import" in run.stdout
    assert "bulkpoc.cli" in imported_modules(run.stderr)  # the report is the one we read
    assert heavy(imported_modules(run.stderr)) == set()


def test_bulkpoc_version_imports_no_heavy_library_and_is_the_installed_version(tmp_path):
    run = python("-X", "importtime", "-m", "bulkpoc", "--version", cwd=tmp_path)
    assert run.stdout == f"bulkpoc, version {version('bulkpoc')}\n"
    assert heavy(imported_modules(run.stderr)) == set()


def test_every_commands_help_imports_no_heavy_library(tmp_path):
    run = python("-c", EVERY_HELP, json.dumps(sorted(HEAVY)), cwd=tmp_path)
    shown = [json.loads(line) for line in run.stdout.splitlines()]
    names = {" ".join(each["args"]) for each in shown}
    assert {"", "import", "export", "schedule add", "users passwd", "tokens create"} <= names
    assert {"outbox send", "serve", "worker"} <= names
    for each in shown:
        assert each["code"] == 0, each
        assert each["usage"].startswith("Usage: bulkpoc"), each
        assert each["heavy"] == [], f"bulkpoc {' '.join(each['args'])} --help imported {each}"


def test_a_csv_import_loads_neither_the_web_stack_nor_the_migrations_nor_xlsx_writing(tmp_path):
    """What a CSV import needs is pandas, SQLAlchemy, pydantic and Jinja2 for its report; the web
    server, the job queue, alembic, openpyxl, rapidfuzz (for a file without unknown names) and,
    off a terminal, rich are not."""
    store = f"sqlite:///{tmp_path / 'bulkpoc.db'}"
    python("-m", "bulkpoc", "--db", store, "init", "--demo", cwd=tmp_path)
    run = python(
        "-X", "importtime", "-m", "bulkpoc", "--db", store, "import", str(NEW_POCS), cwd=tmp_path
    )
    assert " succeeded: 12 rows, 12 created," in run.stdout
    loaded = imported_modules(run.stderr)
    assert {"pandas", "sqlalchemy", "pydantic", "jinja2"} <= heavy(loaded)
    assert heavy(loaded) & NOT_FOR_A_CSV_IMPORT == set()
