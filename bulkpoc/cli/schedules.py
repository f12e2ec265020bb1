"""``bulkpoc schedule …`` and ``bulkpoc scheduler``: inbox folders uploaded on a cron schedule.

Usage errors (a bad cron expression, time zone, user or schedule name) exit 2 with one
sentence.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from bulkpoc.cli.app import (
    ADMIN,
    TYPES,
    Context,
    cli,
    max_failed_option,
    parse_max_failed,
    rows_option,
    type_option,
)
from bulkpoc.domain.errors.types import BulkpocError, MappingInvalid, UnknownUser
from bulkpoc.domain.options import RowsMode

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).
if TYPE_CHECKING:
    from bulkpoc.domain.schedule import Schedule
    from bulkpoc.schedules.inbox import PassResult


MAPPING_HELP = (
    "Read each file through this saved column mapping (`bulkpoc mappings list`), looked up "
    "by name for each file."
)
HOLD_HELP = (
    "Hold each file for approval: run it as a dry run, email its plan with a link, and apply "
    "it when a person applies it from its page."
)


class UsageProblem(click.ClickException):
    exit_code = 2


@contextmanager
def schedule_errors() -> Iterator[None]:
    """Show library errors as one sentence: exit 2 for what the user typed, 1 otherwise."""
    from bulkpoc.domain.schedule import BadSchedule, UnknownSchedule

    try:
        yield
    except (BadSchedule, UnknownSchedule, UnknownUser, MappingInvalid) as error:
        raise UsageProblem(str(error)) from None
    except BulkpocError as error:
        raise click.ClickException(str(error)) from None


@cli.group()
def schedule() -> None:
    """Scheduled runs: each file dropped into an inbox folder is uploaded on a cron schedule."""


@schedule.command("add")
@click.argument("name")
@click.option(
    "--cron",
    required=True,
    metavar="EXPR",
    help="When to look at the inbox: minute hour day-of-month month day-of-week, e.g. "
    "'*/15 * * * *' (an optional sixth field gives seconds).",
)
@click.option(
    "--inbox",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder files are dropped into (created if missing).",
)
@type_option
@rows_option
@click.option("--all-or-nothing", is_flag=True, help="Apply nothing from a file if any row fails.")
@max_failed_option
@click.option("--hold", is_flag=True, help=HOLD_HELP)
@click.option("--mapping", metavar="NAME", help=MAPPING_HELP)
@click.option(
    "--notify", multiple=True, metavar="EMAIL", help="Email each file's results (repeatable)."
)
@click.option("--as", "user", default=ADMIN, show_default=True, help="User the uploads run as.")
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    metavar="TZ",
    help="Time zone the cron expression is read in, e.g. Europe/Paris.",
)
@click.pass_obj
def schedule_add(
    obj: Context,
    name: str,
    cron: str,
    inbox: Path,
    type_name: str,
    rows: str,
    all_or_nothing: bool,
    max_failed: str | None,
    hold: bool,
    mapping: str | None,
    notify: tuple[str, ...],
    user: str,
    timezone: str,
) -> None:
    """Add a schedule that uploads each new file of an inbox folder."""
    from bulkpoc.domain.schedule import Schedule
    from bulkpoc.services.schedules import add_schedule, with_inbox

    new = Schedule(
        name=name,
        cron=cron,
        timezone=timezone,
        inbox="",
        record_type=type_name,
        rows=cast(RowsMode, rows),
        all_or_nothing=all_or_nothing,
        max_failed=max_failed,
        hold_for_approval=hold,
        recipients=notify,
        run_as=user,
        mapping=mapping,
    )
    new = with_inbox(new, inbox)
    with schedule_errors():
        added = add_schedule(obj.store(), new)
    held = "; each file is held for approval as a dry run" if hold else ""
    click.echo(
        f"Schedule {name!r} added: files dropped into {added.inbox} are uploaded as {user} at "
        f"{cron!r} ({timezone}){held}; next run {_next_run(added)}."
    )


@schedule.command("edit")
@click.argument("name")
@click.option("--cron", metavar="EXPR", help="When to look at the inbox (as for `add`).")
@click.option(
    "--inbox",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder files are dropped into (created if missing).",
)
@click.option("--type", "type_name", type=TYPES, help="Record type.")
@click.option("--rows", type=click.Choice(["all", "changed"]), help="Rows to Include.")
@click.option(
    "--all-or-nothing/--not-all-or-nothing",
    default=None,
    help="Apply nothing from a file if any row fails, or apply the rows that pass.",
)
@click.option(
    "--max-failed",
    metavar="N|P%|none",
    callback=parse_max_failed,
    help="Apply nothing when more rows fail than this (as for `add`); none: no limit.",
)
@click.option("--hold/--no-hold", default=None, help=HOLD_HELP + " --no-hold: apply at once.")
@click.option("--mapping", metavar="NAME", help=MAPPING_HELP)
@click.option("--no-mapping", is_flag=True, help="Read files with our own headers, unmapped.")
@click.option(
    "--notify",
    multiple=True,
    metavar="EMAIL",
    help="Email each file's results to these addresses instead (repeatable).",
)
@click.option("--no-notify", is_flag=True, help="Email the results to no one.")
@click.option("--as", "user", help="User the uploads run as.")
@click.option("--timezone", metavar="TZ", help="Time zone the cron expression is read in.")
@click.pass_obj
def schedule_edit(
    obj: Context,
    name: str,
    cron: str | None,
    inbox: Path | None,
    type_name: str | None,
    rows: str | None,
    all_or_nothing: bool | None,
    max_failed: str | None,
    hold: bool | None,
    mapping: str | None,
    no_mapping: bool,
    notify: tuple[str, ...],
    no_notify: bool,
    user: str | None,
    timezone: str | None,
) -> None:
    """Change a schedule's settings; those not given stay as they are."""
    from bulkpoc.services.schedules import change_schedule

    given = {
        "cron": cron,
        "inbox": str(inbox.expanduser().resolve()) if inbox else None,
        "record_type": type_name,
        "rows": rows,
        "all_or_nothing": all_or_nothing,
        "hold_for_approval": hold,
        "recipients": () if no_notify else (notify or None),
        "run_as": user,
        "timezone": timezone,
        "mapping": "" if no_mapping else mapping,
    }
    changes: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    if max_failed is not None:
        changes["max_failed"] = max_failed or None  # "" is `--max-failed none`
    if not changes:
        raise UsageProblem("Nothing to change: give at least one option (see --help).")
    with schedule_errors():
        store = obj.store()
        edited = change_schedule(store, replace(store.get_schedule(name), **changes))
    click.echo(f"Schedule {name!r} changed: {_options(edited)}; next run {_next_run(edited)}.")


@schedule.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the schedules as JSON.")
@click.pass_obj
def schedule_list(obj: Context, as_json: bool) -> None:
    """List the schedules with their next run time (in each schedule's time zone)."""
    with schedule_errors():
        schedules = obj.store().schedules()
    if as_json:
        click.echo(json.dumps([_describe(each) for each in schedules], indent=2))
        return
    if not schedules:
        click.echo("No schedules yet; add one with `bulkpoc schedule add`.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "Name", "Cron", "Time zone", "Inbox", "Type", "Options", "As", "Notify", "Next run"
    )
    for each in schedules:
        table.add_row(
            each.name,
            each.cron,
            each.timezone,
            each.inbox,
            each.record_type,
            _options(each),
            each.run_as,
            ", ".join(each.recipients),
            _next_run(each),
        )
    Console(width=200).print(table)


def _options(each: Schedule) -> str:
    """How a schedule uploads its files, in a few words: ``all rows, stop above 5%, held for
    approval``."""
    from bulkpoc.domain.limits import FailureLimit

    said = [f"{each.rows} rows"]
    if each.all_or_nothing:
        said.append("all or nothing")
    if each.max_failed:
        said.append(f"stop above {FailureLimit.parse(each.max_failed).described()}")
    if each.hold_for_approval:
        said.append("held for approval")
    if each.mapping:
        said.append(f"mapping {each.mapping!r}")
    return ", ".join(said)


def _describe(each: Schedule) -> dict[str, Any]:
    from bulkpoc.domain.schedule import local_time
    from bulkpoc.store.db import utcnow

    last = each.last_fired_at
    return {
        "name": each.name,
        "cron": each.cron,
        "timezone": each.timezone,
        "inbox": each.inbox,
        "type": each.record_type,
        "rows": each.rows,
        "all_or_nothing": each.all_or_nothing,
        "max_failed": each.max_failed,
        "hold_for_approval": each.hold_for_approval,
        "notify": list(each.recipients),
        "run_as": each.run_as,
        "mapping": each.mapping,
        "enabled": each.enabled,
        "last_run": local_time(last, each.timezone).isoformat() if last else None,
        "next_run": (
            local_time(each.next_tick(utcnow()), each.timezone).isoformat()
            if each.enabled
            else None
        ),
    }


def _next_run(each: Schedule) -> str:
    from bulkpoc.services.schedules import next_run

    return next_run(each)


@schedule.command("remove")
@click.argument("name")
@click.pass_obj
def schedule_remove(obj: Context, name: str) -> None:
    """Remove a schedule; its inbox folder and its batches stay."""
    with schedule_errors():
        obj.store().remove_schedule(name)
    click.echo(f"Schedule {name!r} removed.")


@schedule.command("enable")
@click.argument("name")
@click.pass_obj
def schedule_enable(obj: Context, name: str) -> None:
    """Run a disabled schedule on time again."""
    from bulkpoc.services.schedules import set_enabled

    with schedule_errors():
        enabled = set_enabled(obj.store(), name, enabled=True)
    click.echo(f"Schedule {name!r} enabled; next run {_next_run(enabled)}.")


@schedule.command("disable")
@click.argument("name")
@click.pass_obj
def schedule_disable(obj: Context, name: str) -> None:
    """Stop running a schedule on time, keeping it (`schedule run` still runs it)."""
    from bulkpoc.services.schedules import set_enabled

    with schedule_errors():
        set_enabled(obj.store(), name, enabled=False)
    click.echo(f"Schedule {name!r} disabled.")


@schedule.command("run-due")
@click.pass_obj
def schedule_run_due(obj: Context) -> None:
    """Run every schedule that is due once, then exit: for system cron.

    Prints a line per file: its batch and status, or why it was left for a later pass.
    """
    from bulkpoc.jobs.queue import queue_for
    from bulkpoc.schedules.runner import run_due

    with schedule_errors():
        store = obj.store()
        _print(run_due(store, obj.settings, queue_for(store, obj.settings)))


@schedule.command("run")
@click.argument("name")
@click.pass_obj
def schedule_run(obj: Context, name: str) -> None:
    """Look at a schedule's inbox now, whatever the time, and upload its new files."""
    from bulkpoc.jobs.queue import queue_for
    from bulkpoc.schedules.inbox import process_inbox

    with schedule_errors():
        store = obj.store()
        chosen = store.get_schedule(name)
        result = process_inbox(store, obj.settings, queue_for(store, obj.settings), chosen)
    _print([result])
    if not result.files and not result.warning:
        click.echo(f"{name}: no new files in {chosen.inbox}.")


@cli.command()
@click.pass_obj
def scheduler(obj: Context) -> None:
    """Run schedules on time until stopped by SIGTERM or Ctrl-C.

    On SQLite it also runs their batches, one at a time; on PostgreSQL it submits them for
    `bulkpoc worker` to run, and several schedulers may run for redundancy (each schedule
    still fires once). A batch already running finishes before it exits.
    """
    from bulkpoc.jobs.queue import queue_for
    from bulkpoc.schedules.runner import run_forever

    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda _number, _frame: stop.set())
    with schedule_errors():
        store = obj.store()
        count = len(store.schedules(enabled_only=True))
        click.echo(
            f"Scheduler running on {store.display_url} with {count} enabled schedule(s); "
            "SIGTERM or Ctrl-C stops it."
        )
        run_forever(store, obj.settings, queue_for(store, obj.settings), stop, _print)
    click.echo("Scheduler stopped.")


def _print(results: list[PassResult]) -> None:
    for result in results:
        if result.warning:
            click.echo(f"Warning: {result.warning}", err=True)
        for line in result.lines():
            click.echo(line)
