"""``bulkpoc deactivate``: set one record inactive, as a one-row batch through the same engine
as an upload, with the exit codes of ``import`` (0 Succeeded, 2 usage error, 3 Failed)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bulkpoc.cli.app import EXIT_CODES, Context, cli, result_options
from bulkpoc.cli.batches import _print_result

# The record types that have an Active field.
ACTIVE_TYPES = click.Choice(["poc", "skill"])


@cli.command()
@click.option(
    "--type", "type_name", type=ACTIVE_TYPES, default="poc", show_default=True, help="Record type."
)
@click.option(
    "--id", "record_id", required=True, type=click.IntRange(min=1), help="The record's ID."
)
@click.option(
    "--via-skill",
    metavar="NAME",
    help="Move the point of contact to this inactive skill in the same change: the way "
    "round the rule that a point of contact on an active skill cannot be deactivated.",
)
@result_options
@click.pass_obj
def deactivate(
    obj: Context,
    type_name: str,
    record_id: int,
    via_skill: str | None,
    user: str,
    notify: tuple[str, ...],
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Deactivate one record, under the same rules and permissions as an upload, as a batch
    in the run history (one undo takes it back)."""
    from bulkpoc.batch.edits import RecordNotFound, deactivate

    if via_skill is not None and type_name != "poc":
        raise click.UsageError("--via-skill applies to points of contact (--type poc) only.")
    store = obj.store()
    try:
        result = deactivate(
            store,
            obj.settings,
            type_name,
            record_id,
            user,
            "cli",
            via_skill=via_skill,
            notify=notify,
            report_dir=report_dir,
        )
    except RecordNotFound as missing:
        raise click.UsageError(str(missing)) from None
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    elif result.batch_id is None:
        click.echo(f"Error: {result.failure}", err=True)
    else:
        _print_result(result)
    sys.exit(EXIT_CODES[result.status])
