"""The ``bulkpoc`` command group: global options, the shared context, and how errors show.

Library errors (``BulkpocError``) become one-line messages; no traceback reaches the user for
bad input.

Start-up is kept light: ``bulkpoc --help`` and every command's ``--help`` load click and
bulkpoc's own small modules only. The settings, the store and the libraries a command needs
(pandas, SQLAlchemy, pydantic, rich…) are imported inside the command that uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from bulkpoc import __version__
from bulkpoc.domain.errors.types import BulkpocError, SettingsError
from bulkpoc.domain.limits import MAX_FAILED_HELP, normalised
from bulkpoc.domain.options import RecordTypeName
from bulkpoc.domain.status import BatchStatus

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).
if TYPE_CHECKING:
    from bulkpoc.config import Settings
    from bulkpoc.store.db import Store

TYPES = click.Choice(get_args(RecordTypeName))
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


def parse_max_failed(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--max-failed``: the limit as kept in the options; ``none`` (to clear it) is ``""``."""
    if value is None or value.strip().lower() == "none":
        return None if value is None else ""
    try:
        return normalised(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


max_failed_option = click.option(
    "--max-failed", metavar="N|P%", callback=parse_max_failed, help=MAX_FAILED_HELP
)


def result_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """What every command that runs a batch takes: who acts, who is told, where the report
    goes, and JSON output (import, apply, undo)."""
    for option in reversed(
        [
            click.option("--as", "user", default=ADMIN, show_default=True, help="User to act as."),
            click.option(
                "--notify", multiple=True, metavar="EMAIL", help="Email the results (repeatable)."
            ),
            click.option(
                "--report-dir",
                type=click.Path(path_type=Path, file_okay=False),
                help="Folder for the report and error file (default: $BULKPOC_REPORT_DIR or "
                "./bulkpoc-reports).",
            ),
            click.option(
                "--json", "as_json", is_flag=True, help="Print the result as one JSON object."
            ),
        ]
    ):
        command = option(command)
    return command


class BadSetting(click.ClickException):
    """A setting bulkpoc cannot use: one sentence, and exit code 2 like any usage error."""

    exit_code = 2


class Context:
    """What the commands share: the settings and the store, each loaded when first used."""

    def __init__(self, database_url: str | None) -> None:
        self.db_option = database_url
        self._store: Store | None = None

    @cached_property
    def settings(self) -> Settings:
        """The settings in force; a bad one stops the command with one sentence."""
        from bulkpoc.config import Settings

        try:
            settings = Settings.from_env()
        except SettingsError as error:
            raise BadSetting(str(error)) from None
        # --db wins over the database_url setting (environment or bulkpoc.toml).
        if self.db_option:
            settings = settings.model_copy(update={"database_url": self.db_option})
        return settings

    def store(self, ready: bool = True) -> Store:
        if self._store is None:
            from bulkpoc.store.db import Store

            try:
                self._store = Store(self.settings.database_url)
            except SettingsError as error:  # e.g. PostgreSQL without the postgres extra
                raise BadSetting(str(error)) from None
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
    if value is None:
        return None
    from bulkpoc.config import store_url

    try:
        return store_url(value)
    except ValueError as error:
        raise click.BadParameter(f"must be {error}, not {value!r}.") from None


DB_HELP = (
    "Store URL: a SQLite file or postgresql://… (default: the database_url setting, "
    "e.g. $BULKPOC_DATABASE_URL; `bulkpoc settings` shows it)."
)


def _db_after_command(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--db`` given after a command's name: it overrides one given before it."""
    url = _store_url(ctx, param, value)
    shared = ctx.find_object(Context)  # made by `cli` below, which runs before any command
    if url is not None and shared is not None:
        shared.db_option = url


class Group(click.Group):
    """A command group whose every command, and every group's, also takes ``--db``, so that
    ``bulkpoc history --db URL`` works as ``bulkpoc --db URL history`` does."""

    group_class = type  # subgroups are of this class too

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any("--db" in param.opts for param in cmd.params):
            cmd.params.append(
                click.Option(
                    ["--db"],
                    metavar="URL",
                    expose_value=False,
                    callback=_db_after_command,
                    help=DB_HELP,
                )
            )
        super().add_command(cmd, name)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "database_url", metavar="URL", callback=_store_url, help=DB_HELP)
@click.version_option(__version__, prog_name="bulkpoc")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Manage contact-centre points of contact in bulk: templates, exports and uploads."""
    ctx.obj = Context(database_url)
