"""The ``bulkpoc`` command as the CLI tests run it: in a folder of their own, with none of the
machine's database, SMTP, report or outbox settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bulkpoc.cli import cli
from bulkpoc.store.db import Store


class Bulkpoc:
    """Runs ``bulkpoc --db sqlite:///<tmp>/bulkpoc.db ...`` and checks no traceback leaks."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "bulkpoc.db"
        self.url = f"sqlite:///{self.db}"
        self.runner = CliRunner()

    def __call__(self, *args: object, db: str | None = None, stdin: str | None = None) -> Result:
        argv = ["--db", db or self.url, *(str(arg) for arg in args)]
        result = self.runner.invoke(cli, argv, input=stdin, prog_name="bulkpoc")
        everything = result.stdout + result.stderr
        assert "Traceback" not in everything, everything
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"bulkpoc {' '.join(argv)} raised {result.exception!r}"
        )
        return result

    def json(self, *args: object) -> tuple[int, dict]:
        result = self(*args, "--json")
        return result.exit_code, json.loads(result.stdout)

    def store(self) -> Store:
        return Store(self.url)


def command_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Bulkpoc:
    """The command run from ``folder`` on its SQLite file there (set ``url`` for another
    store), writing its reports and outbox there, and sending no email."""
    monkeypatch.chdir(folder)
    for name in ("BULKPOC_DATABASE_URL", "BULKPOC_SMTP_HOST", "BULKPOC_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BULKPOC_REPORT_DIR", str(folder / "reports"))
    monkeypatch.setenv("BULKPOC_OUTBOX_DIR", str(folder / "outbox"))
    return Bulkpoc(folder)
