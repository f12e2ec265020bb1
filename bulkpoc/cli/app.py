"""The ``bulkpoc`` command group: global options, the shared context, and how errors show.

Library errors (``BulkpocError``) become one-line messages; no traceback reaches the user for
bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from bulkpoc.config import DEFAULT_DATABASE_URL, Settings, store_url
from bulkpoc.errors import BulkpocError, SettingsError
from bulkpoc.records import RECORD_TYPES
from bulkpoc.result import BatchStatus
from bulkpoc.store.db import Store

TYPES = click.Choice(list(RECORD_TYPES))
FORMATS = click.Choice(["csv", "xlsx"])
EXIT_CODES = {
    BatchStatus.SUCCEEDED: 0,
    BatchStatus.COMPLETED_WITH_ERRORS: 1,
    BatchStatus.FAILED: 3,
}
ADMIN = "admin"

# Options that mean the same wherever a file is uploaded: by hand or on a schedule.
type_option = click.option(
    "--type", "type_name", type=TYPES, default="poc", show_default=True, help="Record type."
)
rows_option = click.option(
    "--rows",
    type=click.Choice(["all", "changed"]),
    default="all",
    show_default=True,
    help="Rows to Include: every row, or only rows marked in Row Changed.",
)


class BadSetting(click.ClickException):
    """A setting bulkpoc cannot use: one sentence, and exit code 2 like any usage error."""

    exit_code = 2


class Context:
    def __init__(self, database_url: str | None) -> None:
        try:
            self.settings = Settings.from_env()
        except SettingsError as error:
            raise BadSetting(str(error)) from None
        # --db wins over the database_url setting (environment or bulkpoc.toml).
        self.db_option = database_url
        if database_url:
            self.settings = self.settings.model_copy(update={"database_url": database_url})
        self.database_url = self.settings.database_url
        self._store: Store | None = None

    def store(self, ready: bool = True) -> Store:
        if self._store is None:
            self._store = Store(self.database_url)
        if ready:
            self._store.ensure_ready()
        return self._store


class UsageProblem(click.ClickException):
    """Something the user typed names what does not exist or cannot be: exit code 2."""

    exit_code = 2


@contextmanager
def user_errors(*usage: type[BulkpocError]) -> Iterator[None]:
    """Show library errors as one sentence and exit non-zero: 2 for the ``usage`` types (what
    the user typed was wrong), 1 for the rest."""
    try:
        yield
    except usage as error:
        raise UsageProblem(str(error)) from None
    except BulkpocError as error:
        raise click.ClickException(str(error)) from None


def _store_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        return None if value is None else store_url(value)
    except ValueError as error:
        raise click.BadParameter(f"must be {error}, not {value!r}.") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_url",
    callback=_store_url,
    help="Store URL: a SQLite file or postgresql://… (default: the database_url setting, "
    f"e.g. $BULKPOC_DATABASE_URL, else {DEFAULT_DATABASE_URL}).",
)
@click.version_option(package_name="bulkpoc")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Manage contact-centre points of contact in bulk: templates, exports and uploads."""
    ctx.obj = Context(database_url)
