"""``bulkpoc mappings``: column mappings saved by name, so a partner's file with its own
headers (and its own spellings) is read as one of our record types.

A mapping is a TOML file: ``[columns]`` our column = the file's header; ``[constants]`` our
column = a value for every row; ``[values."Media Type"]`` the partner's spelling = ours.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from bulkpoc.cli.app import ADMIN, TYPES, Context, cli, user_errors
from bulkpoc.domain.errors.types import MappingInvalid, PermissionDenied, UnknownUser

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).


@cli.group()
def mappings() -> None:
    """Column mappings: read a partner's file, with its own headers and spellings, as one of
    our record types (`bulkpoc import --mapping NAME`, `schedule add --mapping NAME`)."""


@mappings.command("save", short_help="Save a mapping from a TOML file under a name.")
@click.argument("name")
@click.argument("path", metavar="FILE.toml", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--type",
    "type_name",
    type=TYPES,
    help="Record type the mapping reads (default: the file's record_type, or poc).",
)
@click.option("--as", "user", default=ADMIN, show_default=True, help="User saving it.")
@click.pass_obj
def mappings_save(obj: Context, name: str, path: Path, type_name: str | None, user: str) -> None:
    """Save the mapping FILE.toml describes as NAME, replacing a mapping of that name."""
    from bulkpoc.services.mappings import save_mapping

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"cannot read {str(path)!r} ({error}).") from None
    with user_errors(MappingInvalid, UnknownUser, PermissionDenied):
        store = obj.store()
        saved, created = save_mapping(store, name, text, type_name, store.get_user(user))
    how = "saved" if created else "replaced"
    columns = len(saved.mapping.columns) + len(saved.mapping.constants)
    click.echo(
        f"Mapping {saved.name!r} {how}: reads {saved.record_type} files, {columns} column(s)."
    )


@mappings.command("list", short_help="List the saved mappings.")
@click.option("--json", "as_json", is_flag=True, help="Print the mappings as JSON.")
@click.pass_obj
def mappings_list(obj: Context, as_json: bool) -> None:
    """List the saved mappings: name, record type, who saved it and when (UTC)."""
    with user_errors():
        found = obj.store().mappings()
    if as_json:
        rows = [
            {
                "name": each.name,
                "record_type": each.record_type,
                "columns": {**each.mapping.columns},
                "constants": {**each.mapping.constants},
                "headers": list(each.mapping.headers),
                "saved_by": each.saved_by,
                "saved_at": each.saved_at.isoformat(),
            }
            for each in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not found:
        click.echo("No mappings yet; save one with `bulkpoc mappings save NAME FILE.toml`.")
        return
    for each in found:
        click.echo(
            f"{each.name}\t{each.record_type}\tsaved by {each.saved_by} "
            f"{each.saved_at:%Y-%m-%d %H:%M}"
        )


@mappings.command("show", short_help="Print a saved mapping's TOML.")
@click.argument("name")
@click.pass_obj
def mappings_show(obj: Context, name: str) -> None:
    """Print the TOML of the mapping NAME, as it was saved."""
    with user_errors(MappingInvalid):
        saved = obj.store().get_mapping(name)
    click.echo(saved.toml, nl=not saved.toml.endswith("\n"))


@mappings.command("remove", short_help="Remove a saved mapping.")
@click.argument("name")
@click.option("--as", "user", default=ADMIN, show_default=True, help="User removing it.")
@click.pass_obj
def mappings_remove(obj: Context, name: str, user: str) -> None:
    """Remove the mapping NAME. Batches that ran with it keep their copy; a schedule that
    names it fails its next file until it is saved again or the schedule changed."""
    from bulkpoc.services.mappings import remove_mapping

    with user_errors(MappingInvalid, UnknownUser, PermissionDenied):
        store = obj.store()
        remove_mapping(store, name, store.get_user(user))
    click.echo(f"Mapping {name!r} removed.")
