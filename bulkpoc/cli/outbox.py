"""``bulkpoc outbox``: the results emails kept in the store, and sending those that are due."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from bulkpoc.cli.app import Context, cli, user_errors

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).


@cli.group(invoke_without_command=True)
@click.option("--all", "include_sent", is_flag=True, help="Also list the messages already sent.")
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
@click.pass_context
def outbox(ctx: click.Context, include_sent: bool, as_json: bool) -> None:
    """Results emails kept in the store: list those not sent yet (times in UTC).

    A message the SMTP server did not take stays here and is retried, waiting longer after
    each failure; `bulkpoc outbox send` tries what is due now.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bulkpoc.output import mail

    obj: Context = ctx.obj
    with user_errors():
        messages = mail.messages(obj.store(), include_sent=include_sent)
    if as_json:
        click.echo(json.dumps([_as_json(message) for message in messages], indent=2))
        return
    if not messages:
        click.echo("No message in the outbox." if include_sent else "No message waits to be sent.")
        return
    from rich.console import Console
    from rich.table import Table

    headers = ["ID", "Batch", "Recipients", "Attempts", "Next attempt (UTC)", "Last error"]
    table = Table(*headers, *(["Sent (UTC)", "Destination"] if include_sent else []))
    for message in messages:
        row = [
            str(message["id"]),
            str(message["batch_id"] or ""),
            ", ".join(message["recipients"]),
            str(message["attempts"]),
            "" if message["sent_at"] else _time(message["next_attempt_at"]),
            message["last_error"] or "",
        ]
        if include_sent:
            row += [_time(message["sent_at"]), message["destination"] or ""]
        table.add_row(*row)
    Console(width=200).print(table)


@outbox.command("send", short_help="Send the results emails that are due now.")
@click.option(
    "--all-pending",
    is_flag=True,
    help="Try every message not sent yet, without waiting for its next attempt.",
)
@click.pass_obj
def send(obj: Context, all_pending: bool) -> None:
    """Send the results emails that are due now; exit 1 if any could not be sent."""
    from bulkpoc.output.delivery import deliver_due

    with user_errors():
        deliveries = deliver_due(obj.store(), obj.settings, ignore_backoff=all_pending)
    if not deliveries:
        click.echo("Nothing is due.")
    for delivery in deliveries:
        about = f"Message {delivery.message_id}" + (
            f" (batch {delivery.batch_id})" if delivery.batch_id is not None else ""
        )
        if delivery.sent:
            click.echo(f"{about} sent to {delivery.destination}.")
        else:
            click.echo(
                f"{about} not sent: {delivery.error}; "
                f"next attempt at {_time(delivery.next_attempt_at)} UTC."
            )
    sys.exit(0 if all(delivery.sent for delivery in deliveries) else 1)


def _time(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _as_json(message: dict) -> dict:
    return {
        key: value.isoformat() if isinstance(value, dt.datetime) else value
        for key, value in message.items()
    }
