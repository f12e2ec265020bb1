"""``bulkpoc init``, ``users``, ``settings``, ``demo``: setting up the store and who may use it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from bulkpoc.cli.app import ADMIN, Context, cli, user_errors
from bulkpoc.domain.errors.types import SettingsError, UnknownUser
from bulkpoc.domain.permissions import PERMISSIONS

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).
if TYPE_CHECKING:
    from bulkpoc.domain.users import User


@cli.command()
@click.option(
    "--demo", is_flag=True, help="Also load the demo skills, scripts, chat profiles and numbers."
)
@click.pass_obj
def init(obj: Context, demo: bool) -> None:
    """Create or upgrade the store, and the admin user with every permission."""
    from bulkpoc.services.demo import load_demo_reference_data

    with user_errors():
        store = obj.store(ready=False)
        store.initialise()
        admin = store.add_user(ADMIN, PERMISSIONS)
        click.echo(f"Store ready at {store.display_url}; user '{ADMIN}' has every permission.")
        if demo:
            for result in load_demo_reference_data(store, obj.settings):
                click.echo(result.summary())
        if admin.password_hash is None:
            click.echo(
                f"To log in to the web UI, set {ADMIN}'s password: bulkpoc users passwd {ADMIN}"
            )


@cli.group()
def users() -> None:
    """Users and their permissions."""


def _email(_ctx: click.Context, _param: click.Parameter, address: str | None) -> str | None:
    """The address, checked as the schedules check theirs: a mistyped one fails at once."""
    from bulkpoc.domain.schedule import (
        BadSchedule,
        check_email,
    )  # email-validator: only when needed

    if address is not None:
        try:
            check_email(address)
        except BadSchedule as error:
            raise click.BadParameter(str(error)) from None
    return address


F = TypeVar("F", bound=Callable[..., object])


def permissions_option(help_text: str) -> Callable[[F], F]:
    """``--permission P`` (repeatable, any case), as ``users add`` and ``users revoke`` take it;
    click.Choice hands the command each as PERMISSIONS spells it."""
    return click.option(
        "--permission",
        "permissions",
        multiple=True,
        required=True,
        type=click.Choice(PERMISSIONS, case_sensitive=False),
        help=help_text,
    )


@users.command("add")
@click.argument("name")
@permissions_option("A permission to grant (repeatable).")
@click.option("--email", callback=_email, help="Where this user's results go.")
@click.option(
    "--password-prompt",
    is_flag=True,
    help="Ask for the user's web UI password (twice, not shown) and set it.",
)
@click.pass_obj
def users_add(
    obj: Context,
    name: str,
    permissions: tuple[str, ...],
    email: str | None,
    password_prompt: bool,
) -> None:
    """Create a user, or grant more permissions to an existing one (`users revoke` takes
    them away)."""
    from bulkpoc.services.auth import PasswordRejected
    from bulkpoc.services.users import UserRejected, add_user

    with user_errors(PasswordRejected, UserRejected):
        store = obj.store()
        password = _prompt_password() if password_prompt else None
        user = add_user(store, name, permissions, email=email, password=password)
    click.echo(_describe(user))


@users.command("passwd")
@click.argument("name")
@click.pass_obj
def users_passwd(obj: Context, name: str) -> None:
    """Set a user's password for logging in to the web UI (at least 8 characters).

    On a terminal it is asked for twice and not shown. Otherwise it is read from the first
    line of standard input, for scripts: printf '%s\\n' "$PASSWORD" | bulkpoc users passwd NAME.
    Setting a password also lifts a lock left by failed logins.
    """
    from bulkpoc.services.auth import PasswordRejected, set_password

    with user_errors(PasswordRejected, UnknownUser):
        store = obj.store()
        store.get_user(name)
        if sys.stdin.isatty():
            password = _prompt_password()
        else:
            password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        set_password(store, name, password)
    click.echo(f"Password set for {name}.")


@users.command("email")
@click.argument("name")
@click.argument("address", callback=_email)
@click.pass_obj
def users_email(obj: Context, name: str, address: str) -> None:
    """Set the email address a user's results go to (the web UI's "Email the results to me")."""
    from bulkpoc.services.users import UserRejected, set_email

    with user_errors(UnknownUser, UserRejected):
        set_email(obj.store(), name, address)
    click.echo(f"Email address of {name} set to {address}.")


@users.command("revoke")
@click.argument("name")
@permissions_option("A permission to take away (repeatable).")
@click.pass_obj
def users_revoke(obj: Context, name: str, permissions: tuple[str, ...]) -> None:
    """Take permissions away from a user; their web sessions end at once, and their next API
    call or batch goes without."""
    with user_errors(UnknownUser):
        store = obj.store()
        store.revoke_permissions(name, list(permissions))
        user = store.get_user(name)
    click.echo(_describe(user))


@users.command("disable")
@click.argument("name")
@click.pass_obj
def users_disable(obj: Context, name: str) -> None:
    """Disable a user: their web sessions end at once, and their logins and API tokens are
    refused until `bulkpoc users enable`. Nothing of theirs is deleted."""
    from bulkpoc.store.db import utcnow

    with user_errors(UnknownUser):
        obj.store().set_disabled(name, utcnow())
    click.echo(
        f"{name} is disabled: their sessions have ended, and their logins and API tokens "
        f"are refused until `bulkpoc users enable {name}`."
    )


@users.command("enable")
@click.argument("name")
@click.pass_obj
def users_enable(obj: Context, name: str) -> None:
    """Enable a disabled user again: their password and API tokens work again."""
    with user_errors(UnknownUser):
        obj.store().set_disabled(name, None)
    click.echo(f"{name} is enabled.")


@users.command("list")
@click.pass_obj
def users_list(obj: Context) -> None:
    """List users, whether each has a password or is disabled, and their permissions."""
    with user_errors():
        for user in obj.store().list_users():
            click.echo(_describe(user))


def _prompt_password() -> str:
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _describe(user: User) -> str:
    state = "password set" if user.password_hash else "no password"
    if user.disabled:
        state += ", disabled"
    email = f" <{user.email}>" if user.email else ""
    return f"{user.name}{email} ({state}): " + ", ".join(sorted(user.permissions))


@cli.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print the values and their sources as JSON.")
@click.pass_obj
def show_settings(obj: Context, as_json: bool) -> None:
    """Show the settings in force and where each comes from; passwords are hidden."""
    from bulkpoc.config import origins

    values = obj.settings.shown()
    sources = origins()
    if obj.db_option:
        sources["database_url"] = "--db"
    if as_json:
        click.echo(json.dumps({"settings": values, "sources": sources}, indent=2))
        return
    for name, value in values.items():
        shown = "(not set)" if value is None else value
        click.echo(f"{name} = {shown}  # {sources[name]}")


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
    from bulkpoc.services.demo import run_demo

    with user_errors(SettingsError):
        run_demo(folder, click.echo)
