"""``bulkpoc import`` and ``bulkpoc history``: running batches and looking them up.

``import`` exits 0 Succeeded, 1 Completed with errors, 2 usage error, 3 Failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from bulkpoc.batch.progress import Progress
from bulkpoc.cli.app import (
    EXIT_CODES,
    FORMATS,
    Context,
    cli,
    max_failed_option,
    result_options,
    rows_option,
    type_option,
    user_errors,
)
from bulkpoc.domain.errors.types import BulkpocError, MappingInvalid
from bulkpoc.domain.options import FileType, ImportOptions, RowsMode
from bulkpoc.domain.status import BatchStatus

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).
if TYPE_CHECKING:
    from rich.console import Console

    from bulkpoc.domain.result import BatchResult


@cli.command(name="import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@type_option
@click.option(
    "--file-type",
    type=FORMATS,
    help="Declared file type, xlsx for any spreadsheet (.xlsx, .xlsm, .xlsb, .xls, .ods); must "
    "match the content (default: detected).",
)
@rows_option
@click.option("--dry-run", is_flag=True, help="Check and report, apply nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Apply nothing if any row fails.")
@max_failed_option
@click.option(
    "--overwrite", is_flag=True, help="Apply rows even if the record changed since export."
)
@click.option(
    "--mapping",
    metavar="NAME|FILE.toml",
    help="Read a partner's file through a column mapping: a saved one's name "
    "(`bulkpoc mappings list`) or a TOML file.",
)
@result_options
@click.pass_obj
def import_(
    obj: Context,
    path: Path,
    type_name: str,
    file_type: str | None,
    rows: str,
    dry_run: bool,
    all_or_nothing: bool,
    max_failed: str | None,
    overwrite: bool,
    mapping: str | None,
    user: str,
    notify: tuple[str, ...],
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Upload a CSV or XLSX file of records; report every row that failed and why."""
    from bulkpoc.batch.submit import run_import, unrecorded_failure
    from bulkpoc.services.mappings import with_mapping

    options = ImportOptions(
        record_type=type_name,
        file_type=cast(FileType | None, file_type),
        rows=cast(RowsMode, rows),
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        max_failed=max_failed,
        overwrite=overwrite,
        user=user,
        notify=notify,
        source="cli",
        report_dir=report_dir,
    )
    try:
        store = obj.store()
    except BulkpocError as error:
        _fail_before_batch(unrecorded_failure(path, options, error), as_json)
        return
    with user_errors(MappingInvalid):  # no such mapping, or not one: a usage error, exit 2
        options = with_mapping(store, options, mapping)
    with _progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
        result = run_import(store, path, options, obj.settings, progress or _say_when_waiting())
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        _print_result(result)
    sys.exit(EXIT_CODES[result.status])


def _fail_before_batch(result: BatchResult, as_json: bool) -> None:
    """The store could not be opened: no batch, one sentence (or the result as JSON)."""
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(f"Error: {result.failure}", err=True)
    sys.exit(EXIT_CODES[result.status])


def _print_result(result: BatchResult) -> None:
    click.echo(result.summary())
    for warning in result.warnings:
        click.echo(f"Warning: {warning}")
    shown = result.errors[:20]
    for error in shown:
        click.echo(f"  Row {error.row}, {error.column or 'row'}: {error.message}")
    if len(result.errors) > len(shown):
        click.echo(f"  … and {len(result.errors) - len(shown)} more errors in the report.")
    if result.changes and not result.changes.empty:
        click.echo("Changes:" if result.applied else "Changes it would make:")
        for line in result.changes.lines():
            click.echo(f"  {line}")
    click.echo(f"Report: {result.reports.html}")
    if result.reports.changes:
        click.echo(f"Changes file: {result.reports.changes}")
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
        store = obj.store()
        store.interrupt_dead_batches(obj.settings.stale_after_seconds)
        batches = store.history(status=status, limit=limit)
        awaiting = store.awaiting_approval(batches)
    for batch in batches:
        batch["awaiting_approval"] = batch["id"] in awaiting
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
            (batch["started_at"] or batch["submitted_at"]).strftime("%Y-%m-%d %H:%M:%S"),
            batch["file_name"],
            batch["record_type"],
            batch["source"] + (f" {batch['schedule_name']}" if batch["schedule_name"] else ""),
            batch["user_name"],
            _status(batch),
            str(batch["total"]),
            str(batch["created"]),
            str(batch["updated"]),
            str(batch["failed"]),
            batch["report_path"] or (batch["failure"] or ""),
        )
    Console(width=200).print(table)


def _status(batch: dict) -> str:
    """The status label; a running batch also says what it is doing."""
    label = BatchStatus(batch["status"]).label
    if batch.get("awaiting_approval"):
        return f"{label} (dry run), awaiting approval"
    if batch["status"] == BatchStatus.RUNNING and batch["stage"]:
        done, total = batch["stage_done"] or 0, batch["stage_total"] or 0
        return f"{label}: {batch['stage']} {done:,}/{total:,}"
    return label
