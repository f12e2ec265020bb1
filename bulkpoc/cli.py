"""The ``bulkpoc`` command: a thin layer that parses options and calls the library.

Library errors (``BulkpocError``) become one-line messages; no traceback reaches the user for
bad input. ``import`` exits 0 Succeeded, 1 Completed with errors, 2 usage error, 3 Failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from bulkpoc.config import DEFAULT_DATABASE_URL, Settings
from bulkpoc.errors import BulkpocError
from bulkpoc.permissions import PERMISSIONS
from bulkpoc.pipeline import FileType, ImportOptions, Progress, RowsMode, run_import
from bulkpoc.records import RECORD_TYPES
from bulkpoc.result import BatchResult, BatchStatus
from bulkpoc.store.db import Store

if TYPE_CHECKING:
    from rich.console import Console

TYPES = click.Choice(list(RECORD_TYPES))
FORMATS = click.Choice(["csv", "xlsx"])
EXIT_CODES = {
    BatchStatus.SUCCEEDED: 0,
    BatchStatus.COMPLETED_WITH_ERRORS: 1,
    BatchStatus.FAILED: 3,
}
ADMIN = "admin"


class Context:
    def __init__(self, database_url: str) -> None:
        self.settings = Settings.from_env()
        self.database_url = database_url
        self._store: Store | None = None

    def store(self, ready: bool = True) -> Store:
        if self._store is None:
            self._store = Store(self.database_url)
        if ready:
            self._store.ensure_ready()
        return self._store


@contextmanager
def user_errors() -> Iterator[None]:
    """Show library errors as one sentence and exit non-zero."""
    try:
        yield
    except BulkpocError as error:
        raise click.ClickException(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_url",
    envvar="BULKPOC_DATABASE_URL",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="Store URL: a SQLite file or postgresql://… (default: $BULKPOC_DATABASE_URL).",
)
@click.version_option(package_name="bulkpoc")
@click.pass_context
def cli(ctx: click.Context, database_url: str) -> None:
    """Manage contact-centre points of contact in bulk: templates, exports and uploads."""
    ctx.obj = Context(database_url)


@cli.command()
@click.option(
    "--demo", is_flag=True, help="Also load the demo skills, scripts, chat profiles and numbers."
)
@click.pass_obj
def init(obj: Context, demo: bool) -> None:
    """Create or upgrade the store, and the admin user with every permission."""
    from bulkpoc.demo import load_demo_reference_data

    with user_errors():
        store = obj.store(ready=False)
        store.initialise()
        store.add_user(ADMIN, PERMISSIONS)
        click.echo(f"Store ready at {store.display_url}; user '{ADMIN}' has every permission.")
        if demo:
            for result in load_demo_reference_data(store, obj.settings):
                click.echo(result.summary())


def _format_for(path: Path, file_format: str | None) -> str:
    if file_format:
        return file_format
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"csv", "xlsx"}:
        return suffix
    raise click.UsageError("Choose --format csv or --format xlsx (or name the file .csv or .xlsx).")


@cli.command()
@click.option(
    "--type", "type_name", type=TYPES, default="poc", show_default=True, help="Record type."
)
@click.option("--format", "file_format", type=FORMATS, help="csv or xlsx (default: from -o).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the file.",
)
@click.pass_obj
def template(obj: Context, type_name: str, file_format: str | None, output: Path) -> None:
    """Write a blank template: headers, and for XLSX dropdowns and instructions."""
    from bulkpoc.write import write_records

    with user_errors():
        write_records(
            obj.store(),
            RECORD_TYPES[type_name],
            _format_for(output, file_format),
            output,
            template=True,
        )
    click.echo(f"Wrote {RECORD_TYPES[type_name].label.lower()} template to {output}")


@cli.command()
@click.option(
    "--type", "type_name", type=TYPES, default="poc", show_default=True, help="Record type."
)
@click.option("--format", "file_format", type=FORMATS, help="csv or xlsx (default: from -o).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the file.",
)
@click.pass_obj
def export(obj: Context, type_name: str, file_format: str | None, output: Path) -> None:
    """Write every existing record, ready to edit and upload again."""
    from bulkpoc.write import write_records

    with user_errors():
        count = write_records(
            obj.store(),
            RECORD_TYPES[type_name],
            _format_for(output, file_format),
            output,
            template=False,
        )
    click.echo(f"Exported {count} {RECORD_TYPES[type_name].plural.lower()} to {output}")


@cli.command(name="import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--type", "type_name", type=TYPES, default="poc", show_default=True, help="Record type."
)
@click.option(
    "--file-type",
    type=FORMATS,
    help="Declared file type; must match the content (default: detected).",
)
@click.option(
    "--rows",
    type=click.Choice(["all", "changed"]),
    default="all",
    show_default=True,
    help="Rows to Include: every row, or only rows marked in Row Changed.",
)
@click.option("--dry-run", is_flag=True, help="Check and report, apply nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Apply nothing if any row fails.")
@click.option(
    "--overwrite", is_flag=True, help="Apply rows even if the record changed since export."
)
@click.option("--as", "user", default=ADMIN, show_default=True, help="User to act as.")
@click.option("--notify", multiple=True, metavar="EMAIL", help="Email the results (repeatable).")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the report and error file (default: $BULKPOC_REPORT_DIR or "
    "./bulkpoc-reports).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.pass_obj
def import_(
    obj: Context,
    path: Path,
    type_name: str,
    file_type: str | None,
    rows: str,
    dry_run: bool,
    all_or_nothing: bool,
    overwrite: bool,
    user: str,
    notify: tuple[str, ...],
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Upload a CSV or XLSX file of records; report every row that failed and why."""
    options = ImportOptions(
        record_type=type_name,
        file_type=cast(FileType | None, file_type),
        rows=cast(RowsMode, rows),
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        overwrite=overwrite,
        user=user,
        notify=notify,
        source="cli",
        report_dir=report_dir,
    )
    try:
        store = obj.store()
    except BulkpocError as error:
        _fail_before_batch(error, as_json)
        return
    with _progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
        result = run_import(store, path, options, obj.settings, progress or _say_when_waiting())
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        _print_result(result)
    sys.exit(EXIT_CODES[result.status])


def _fail_before_batch(error: BulkpocError, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "batch_id": None,
                    "status": "failed",
                    "counts": None,
                    "errors": [],
                    "failure": str(error),
                    "failure_code": error.code,
                    "reports": None,
                }
            )
        )
    else:
        click.echo(f"Error: {error}", err=True)
    sys.exit(EXIT_CODES[BatchStatus.FAILED])


def _print_result(result: BatchResult) -> None:
    click.echo(result.summary())
    for warning in result.warnings:
        click.echo(f"Warning: {warning}")
    shown = result.errors[:20]
    for error in shown:
        click.echo(f"  Row {error.row}, {error.column or 'row'}: {error.message}")
    if len(result.errors) > len(shown):
        click.echo(f"  … and {len(result.errors) - len(shown)} more errors in the report.")
    click.echo(f"Report: {result.reports.html}")
    if result.reports.error_file:
        click.echo(f"Error file (fix and upload again): {result.reports.error_file}")
    if result.reports.email:
        click.echo(f"Email: {result.reports.email}")


def _say_when_waiting() -> Progress:
    """Without a progress bar, still say once (on stderr) that the batch waits for another."""
    said: set[str] = set()

    def report(stage: str, _done: int, _total: int, /, detail: str = "") -> None:
        if stage == "wait" and detail not in said:
            said.add(detail)
            click.echo(detail[0].upper() + detail[1:] + "…", err=True)

    return report


@contextmanager
def _progress_bar(enabled: bool, console: Console | None = None) -> Iterator[Progress | None]:
    """A bar per stage on a terminal; nothing when output is piped or JSON."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        transient=True,
        console=console,
    ) as bar:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int, /, detail: str = "") -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(
                tasks[stage],  # type: ignore[arg-type]
                completed=done,
                total=max(total, 1),
                description=detail or stage,
            )

        yield update


@cli.command()
@click.option(
    "--status",
    type=click.Choice([s.value for s in BatchStatus]),
    help="Only batches with this status.",
)
@click.option("--limit", type=int, default=50, show_default=True, help="How many batches to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the batches as JSON.")
@click.pass_obj
def history(obj: Context, status: str | None, limit: int, as_json: bool) -> None:
    """Run history: every batch, newest first, with its status, counts and report."""
    with user_errors():
        batches = obj.store().history(status=status, limit=limit)
    if as_json:
        click.echo(json.dumps(batches, indent=2, default=str))
        return
    if not batches:
        click.echo("No batches yet." if not status else f"No {status} batches.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "Batch",
        "Started (UTC)",
        "File",
        "Type",
        "Source",
        "User",
        "Status",
        "Total",
        "Created",
        "Updated",
        "Failed",
        "Report",
    )
    for batch in batches:
        table.add_row(
            str(batch["id"]),
            batch["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
            batch["file_name"],
            batch["record_type"],
            batch["source"],
            batch["user_name"],
            BatchStatus(batch["status"]).label
            if batch["status"] in BatchStatus._value2member_map_
            else batch["status"],
            str(batch["total"]),
            str(batch["created"]),
            str(batch["updated"]),
            str(batch["failed"]),
            batch["report_path"] or (batch["failure"] or ""),
        )
    Console(width=200).print(table)


@cli.group()
def users() -> None:
    """Users and their permissions."""


@users.command("add")
@click.argument("name")
@click.option(
    "--permission",
    "permissions",
    multiple=True,
    required=True,
    type=click.Choice(PERMISSIONS, case_sensitive=False),
    help="A permission to grant (repeatable).",
)
@click.option("--email", help="Where this user's results go.")
@click.pass_obj
def users_add(obj: Context, name: str, permissions: tuple[str, ...], email: str | None) -> None:
    """Create a user, or grant more permissions to an existing one."""
    canonical = {p.casefold(): p for p in PERMISSIONS}
    with user_errors():
        user = obj.store().add_user(
            name, [canonical[p.casefold()] for p in permissions], email=email
        )
    click.echo(f"{user.name}: " + ", ".join(sorted(user.permissions)))


@users.command("list")
@click.pass_obj
def users_list(obj: Context) -> None:
    """List users and their permissions."""
    with user_errors():
        for user in obj.store().list_users():
            click.echo(f"{user.name}: " + ", ".join(sorted(user.permissions)))


@cli.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("bulkpoc-demo"),
    show_default=True,
    help="Where the demo store and files go.",
)
def demo(folder: Path) -> None:
    """Run the whole job on a fresh demo store: template, uploads, reports."""
    from bulkpoc.demo import run_demo

    with user_errors():
        run_demo(folder, click.echo)


def main() -> None:
    cli(prog_name="bulkpoc")
