"""``bulkpoc changes``: a record's history or a batch's changes, a page at a time; and
``bulkpoc changes prune``: retention by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from bulkpoc.cli.app import Context, cli, type_option, user_errors

if TYPE_CHECKING:
    from bulkpoc.domain.history import BatchChanges, RecordChange, RecordHistory

MAX_PAGE = 500  # bulkpoc.domain.history.MAX_PAGE, here without loading pydantic for --help
WHICH = ("--id", "--name", "--number", "--batch")


@cli.group(invoke_without_command=True)
@type_option
@click.option("--id", "key", metavar="ID", help="The record's ID (a number's phone number).")
@click.option("--name", metavar="NAME", help="The record's name, now or when it was removed.")
@click.option("--number", metavar="NUMBER", help="A phone number (implies --type number).")
@click.option("--batch", "batch_id", type=click.IntRange(1), metavar="BATCH", help="A batch.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_PAGE),
    default=100,
    show_default=True,
    help=f"Changes per page (at most {MAX_PAGE}).",
)
@click.option(
    "--offset", type=click.IntRange(0), default=0, help="Changes to pass over (the next page)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the page as one JSON object.")
@click.pass_context
def changes(
    ctx: click.Context,
    type_name: str,
    key: str | None,
    name: str | None,
    number: str | None,
    batch_id: int | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """A record's history (every batch that changed it: when, who, which file, each field's
    before and after), or a batch's changes; `changes prune` removes old ones."""
    given = [
        flag for flag, value in zip(WHICH, (key, name, number, batch_id), strict=True) if value
    ]
    if ctx.invoked_subcommand is not None:
        if given:
            raise click.UsageError(
                f"{given[0]} does not go with `changes {ctx.invoked_subcommand}`."
            )
        return
    if len(given) != 1:
        raise click.UsageError(f"Give one of {', '.join(WHICH)}, e.g. `bulkpoc changes --id 12`.")
    if number is not None:
        if ctx.get_parameter_source("type_name") is not ParameterSource.DEFAULT and (
            type_name != "number"
        ):
            raise click.UsageError("--number is a phone number: it goes with --type number only.")
        type_name, key = "number", number
    obj: Context = ctx.obj
    from bulkpoc.domain.records import RECORD_TYPES
    from bulkpoc.services import history

    with user_errors(history.NotFound, history.NoName):
        store = obj.store()
        if batch_id is not None:
            page = history.batch_changes(store, batch_id, offset=offset, limit=limit)
            _show_batch(page, as_json)
            return
        found = history.record_history(
            store,
            RECORD_TYPES[type_name],
            key=key,
            name=name,
            offset=offset,
            limit=limit,
            region=obj.settings.default_region,
        )
    _show_record(found, as_json)


def _show_batch(page: BatchChanges, as_json: bool) -> None:
    if as_json:
        click.echo(page.model_dump_json(indent=2))
        return
    kind = (
        f"{page.record_type}, dry run: what it would change" if page.dry_run else page.record_type
    )
    click.echo(f"Batch {page.batch_id} ({kind}): {page.showing(len(page.changes))}.")
    if page.pruned:
        click.echo(page.pruned)
    from bulkpoc.domain.records import RECORD_TYPES

    key = RECORD_TYPES[page.record_type].key.header
    for change in page.changes:
        where = [
            *([f"Row {change.row}"] if change.row is not None else []),
            f"{key} {change.record_key or '(new)'}",
        ]
        for line in change.lines():
            click.echo(f"  {', '.join(where)}: {line}")
    _next_page(page.offset, len(page.changes), page.total)


def _show_record(found: RecordHistory, as_json: bool) -> None:
    if as_json:
        click.echo(found.model_dump_json(indent=2))
        return
    from bulkpoc.domain.records import RECORD_TYPES

    rtype = RECORD_TYPES[found.record_type]
    named = f" {found.name!r}" if found.name else ""
    gone = "" if found.exists else " (removed)"
    click.echo(
        f"{rtype.label} {found.record_key}{named}{gone}: {found.showing(len(found.changes))}."
    )
    batch = None
    for change in found.changes:
        if change.batch_id != batch:
            batch = change.batch_id
            click.echo(_batch_line(change))
        where = f"Row {change.row}: " if change.row is not None else ""
        for line in change.lines():
            click.echo(f"  {where}{line}")
    if found.others:
        click.echo(
            f"Other removed {rtype.plural.lower()} had this name: {', '.join(found.others)} "
            "(see each with --id)."
        )
    _next_page(found.offset, len(found.changes), found.total)


def _batch_line(change: RecordChange) -> str:
    """``Batch 9 · 2026-12-06 10:00:01 UTC · admin · cli · pocs.csv``: when it finished, who
    ran it, from where, which file."""
    when = change.finished_at or change.started_at
    parts = [
        f"Batch {change.batch_id}" + (" (dry run: what it would change)" if change.dry_run else ""),
        f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "queued",
        change.user or "?",
        change.source or "?",
        change.file_name or "?",
    ]
    return " · ".join(parts)


def _next_page(offset: int, shown: int, total: int) -> None:
    if offset + shown < total:
        click.echo(f"Next page: --offset {offset + shown}.")


@changes.command("prune")
@click.option(
    "--older-than",
    "age",
    required=True,
    metavar="AGE",
    help="Remove the change records of batches finished longer ago than this: 90d, 12w.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@click.pass_obj
def changes_prune(obj: Context, age: str, as_json: bool) -> None:
    """Remove the change records of batches finished before a cutoff, with the stored files
    only they needed; those batches can no longer be undone, and say why."""
    from bulkpoc.domain.history import BadAge, parse_age
    from bulkpoc.services.history import prune

    with user_errors(BadAge):
        days = parse_age(age)
        counts = prune(obj.store(), days)
    click.echo(counts.model_dump_json(indent=2) if as_json else counts.sentence())
