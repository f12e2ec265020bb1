"""``bulkpoc tokens``: API tokens for partner systems, created, listed and revoked by an admin."""

from __future__ import annotations

import datetime as dt
import json

import click

from bulkpoc.cli.app import Context, cli, user_errors
from bulkpoc.domain.errors.types import UnknownUser

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).


@cli.group()
def tokens() -> None:
    """API tokens: a partner system sends one as `Authorization: Bearer TOKEN` and acts with
    its user's permissions."""


@tokens.command("create", short_help="Create an API token and print it once.")
@click.argument("name")
@click.option("--as", "user", required=True, help="The user whose permissions the token carries.")
@click.pass_obj
def tokens_create(obj: Context, name: str, user: str) -> None:
    """Create the API token NAME and print it, once: only its hash is kept."""
    from bulkpoc.services.auth import TokenRejected, create_token

    with user_errors(TokenRejected, UnknownUser):
        token = create_token(obj.store(), name, user)
    click.echo(token)
    click.echo(
        f"Token {name!r} acts as {user!r}. Copy it now: it will not be shown again.", err=True
    )


@tokens.command("list", short_help="List the API tokens, never the tokens themselves.")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
@click.pass_obj
def tokens_list(obj: Context, as_json: bool) -> None:
    """List the API tokens: name, user, when created, last used and revoked (UTC); never the
    tokens themselves."""
    from bulkpoc.services.auth import list_tokens

    with user_errors():
        found = list_tokens(obj.store())
    if as_json:
        rows = [
            {
                "name": info.name,
                "user": info.user,
                "created_at": _iso(info.created_at),
                "last_used_at": _iso(info.last_used_at),
                "revoked_at": _iso(info.revoked_at),
            }
            for info in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not found:
        click.echo("No API token yet; create one with `bulkpoc tokens create NAME --as USER`.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("Name", "User", "Created (UTC)", "Last used (UTC)", "Revoked (UTC)")
    for info in found:
        table.add_row(
            info.name,
            info.user,
            _time(info.created_at),
            _time(info.last_used_at),
            _time(info.revoked_at),
        )
    Console(width=200).print(table)


@tokens.command("revoke", short_help="Revoke an API token: it stops working at once.")
@click.argument("name")
@click.pass_obj
def tokens_revoke(obj: Context, name: str) -> None:
    """Revoke the API token NAME: it stops working at once, for good, and stays listed."""
    from bulkpoc.services.auth import TokenRejected, revoke_token

    with user_errors(TokenRejected):
        revoke_token(obj.store(), name)
    click.echo(f"Revoked the token {name!r}; it no longer works.")


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _time(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")
