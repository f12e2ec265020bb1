"""``bulkpoc apply BATCH``: run a dry run's file again as a real batch, as it was reviewed.

Exit codes as ``import``: 0 Succeeded, 1 Completed with errors, 2 usage error (no such batch,
or one that cannot be applied), 3 Failed (nothing applied: the plan had changed since the dry
run, which a new dry run then shows).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bulkpoc.cli.app import (
    EXIT_CODES,
    Context,
    UsageProblem,
    cli,
    result_options,
    user_errors,
)
from bulkpoc.cli.batches import _print_result, _progress_bar, _say_when_waiting
from bulkpoc.domain.errors.types import ApplyRefused, UnknownUser

USAGE_ERROR = 2


@cli.command(name="apply")
@click.argument("batch_id", metavar="BATCH", type=click.IntRange(1, 2**31 - 1))
@click.option(
    "--exclude-rows",
    "exclude",
    multiple=True,
    metavar="SPEC",
    help="Rows to leave out, as in the spreadsheet: 4,7-9 (repeatable); reported as skipped.",
)
@result_options
@click.pass_obj
def apply_(
    obj: Context,
    batch_id: int,
    exclude: tuple[str, ...],
    user: str,
    notify: tuple[str, ...],
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Apply the file of dry-run batch BATCH exactly as it was previewed.

    If the store changed since so that any row would do something else, nothing is applied:
    the rows that differ are listed and a new dry run of the file is made.
    """
    from bulkpoc.batch.applying import ApplyRequest, parse_rows, run_apply

    try:
        rows = parse_rows(exclude)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--exclude-rows'") from None
    request = ApplyRequest(batch_id, user, "cli", rows, notify, report_dir)
    with user_errors(UnknownUser):
        store = obj.store()
        store.get_user(user)  # an unknown user is one sentence, before anything is recorded
    try:
        with _progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
            result, new_preview = run_apply(
                store, request, obj.settings, progress or _say_when_waiting()
            )
    except KeyError:
        _refuse(f"There is no batch {batch_id}.", "not_found", as_json)
    except ApplyRefused as refused:
        _refuse(str(refused), refused.code, as_json)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        _print_result(result)
        if new_preview is not None:
            click.echo(f"New dry run: {new_preview.summary()}")
            click.echo(f"Report: {new_preview.reports.html}")
            click.echo(f"Apply it with: bulkpoc apply {new_preview.batch_id}")
    sys.exit(EXIT_CODES[result.status])


def _refuse(sentence: str, code: str, as_json: bool) -> None:
    """Nothing recorded: one sentence (as JSON with ``--json``), exit code 2."""
    if as_json:
        click.echo(json.dumps({"detail": sentence, "code": code}, indent=2))
        sys.exit(USAGE_ERROR)
    raise UsageProblem(sentence)
