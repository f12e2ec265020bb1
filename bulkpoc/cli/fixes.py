"""``bulkpoc fix``: correct a batch's failed rows and run them again as a new batch (source
``fix``), with the exit codes of ``import`` (0 Succeeded, 1 Completed with errors, 2 usage
error or a fix refused, 3 Failed)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bulkpoc.cli.app import EXIT_CODES, Context, cli, result_options
from bulkpoc.cli.batches import _print_result
from bulkpoc.domain.errors.types import BulkpocError


class FixNotRun(click.ClickException):
    """A fix refused before it ran (no such batch, nothing to fix, a row that did not fail):
    one sentence, exit code 2 like a usage error; no batch was recorded."""

    exit_code = 2


def _cell(text: str) -> tuple[int, str, str]:
    place, equals, value = text.partition("=")
    row, colon, column = place.partition(":")
    if not (equals and colon and row.strip().isdigit() and column.strip()):
        raise click.BadParameter(f"{text!r}: write ROW:COLUMN=VALUE, e.g. 7:Skill=Sales Calls.")
    return int(row), column.strip(), value


def _replacement(text: str) -> tuple[str, str, str]:
    column, colon, change = text.partition(":")
    old, equals, new = change.partition("=")
    if not (colon and equals and column.strip()):
        raise click.BadParameter(
            f"{text!r}: write COLUMN:FROM=TO, e.g. Skill:Sales Cals=Sales Calls."
        )
    return column.strip(), old, new


@cli.command()
@click.argument("batch_id", metavar="BATCH", type=click.IntRange(min=1))
@click.option(
    "--set",
    "cells",
    multiple=True,
    metavar="ROW:COLUMN=VALUE",
    help="Set a cell of a failed row, the row numbered as in the batch's results (repeatable).",
)
@click.option(
    "--replace",
    "replacements",
    multiple=True,
    metavar="COLUMN:FROM=TO",
    help="Replace a value in a column of every failed row that has it (repeatable).",
)
@click.option(
    "--dry-run/--no-dry-run",
    default=None,
    help="Report what the fix would do, or apply it (default: as the batch it fixes).",
)
@result_options
@click.pass_obj
def fix(
    obj: Context,
    batch_id: int,
    cells: tuple[str, ...],
    replacements: tuple[str, ...],
    dry_run: bool | None,
    user: str,
    notify: tuple[str, ...],
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Fix a batch's failed rows: run every one of them again, with the cells you set and the
    values you replace, as a new batch under the same rules and permissions as an upload."""
    from bulkpoc.batch.fixes import CellFix, GroupFix, fix_batch

    try:
        cell_fixes = [CellFix(*_cell(text)) for text in cells]
        group_fixes = [GroupFix(*_replacement(text)) for text in replacements]
    except click.BadParameter as bad:
        raise click.UsageError(bad.message) from None
    chosen = {"notify": notify, "report_dir": report_dir}
    try:
        result = fix_batch(
            obj.store(), obj.settings, batch_id, cell_fixes, group_fixes, user, dry_run, **chosen
        )
    except BulkpocError as error:
        raise FixNotRun(str(error)) from None
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        _print_result(result)
        if result.batch_id is not None:
            click.echo(f"Batch {result.batch_id} fixes batch {batch_id}.")
    sys.exit(EXIT_CODES[result.status])
