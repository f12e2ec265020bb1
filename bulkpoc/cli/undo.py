"""``bulkpoc undo``: take an applied batch back, as a new batch with the exit codes of
``import`` (0 Succeeded, 1 Completed with errors, 2 usage error, 3 Failed)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bulkpoc.cli.app import EXIT_CODES, Context, cli, result_options
from bulkpoc.cli.batches import _fail_before_batch, _print_result, _progress_bar, _say_when_waiting
from bulkpoc.domain.errors.types import BulkpocError


@cli.command()
@click.argument("batch_id", metavar="BATCH", type=click.IntRange(min=1))
@click.option("--dry-run", is_flag=True, help="Report what the undo would do, apply nothing.")
@click.option(
    "--force",
    is_flag=True,
    help="Set fields back even where someone changed them since the batch.",
)
@result_options
@click.pass_obj
def undo(
    obj: Context,
    batch_id: int,
    dry_run: bool,
    force: bool,
    user: str,
    notify: tuple[str, ...],
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Undo an applied batch: set back what it changed and remove what it created, under the
    same rules and permissions as an upload, as a new batch in the run history."""
    from bulkpoc.batch.submit import unrecorded_failure
    from bulkpoc.batch.undo import placeholder, run_undo, undo_options

    chosen = {
        "dry_run": dry_run,
        "overwrite": force,
        "user": user,
        "notify": notify,
        "report_dir": report_dir,
    }
    try:
        store = obj.store()
        options = undo_options(store, batch_id, **chosen)
    except BulkpocError as error:
        from bulkpoc.domain.options import ImportOptions

        options = ImportOptions(source="undo", reverts=batch_id, **chosen)  # type: ignore[arg-type]
        _fail_before_batch(unrecorded_failure(placeholder(options), options, error), as_json)
        return
    with _progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
        result = run_undo(store, batch_id, options, obj.settings, progress or _say_when_waiting())
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    elif result.batch_id is None:
        click.echo(f"Error: {result.failure}", err=True)
    else:
        _print_result(result)
    sys.exit(EXIT_CODES[result.status])
