"""``bulkpoc template`` and ``bulkpoc export``: the files a user downloads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from bulkpoc.cli.app import FORMATS, TYPES, Context, cli, user_errors

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).


def _format_for(path: Path, file_format: str | None) -> str:
    if file_format:
        return file_format
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"csv", "xlsx"}:
        return suffix
    raise click.UsageError("Choose --format csv or --format xlsx (or name the file .csv or .xlsx).")


def _file_options(command: Callable[..., None]) -> Callable[..., None]:
    """--type, --format and -o, which template and export share."""
    for option in reversed(
        (
            click.option(
                "--type",
                "type_name",
                type=TYPES,
                default="poc",
                show_default=True,
                help="Record type.",
            ),
            click.option(
                "--format", "file_format", type=FORMATS, help="csv or xlsx (default: from -o)."
            ),
            click.option(
                "-o",
                "--output",
                type=click.Path(path_type=Path, dir_okay=False),
                required=True,
                help="Where to write the file.",
            ),
        )
    ):
        command = option(command)
    return command


@cli.command()
@_file_options
@click.pass_obj
def template(obj: Context, type_name: str, file_format: str | None, output: Path) -> None:
    """Write a blank template: headers, and for XLSX dropdowns and instructions."""
    from bulkpoc.domain.records import RECORD_TYPES
    from bulkpoc.output.exports import write_records

    with user_errors():
        write_records(
            obj.store(),
            RECORD_TYPES[type_name],
            _format_for(output, file_format),
            output,
            template=True,
        )
    click.echo(f"Wrote {RECORD_TYPES[type_name].label.lower()} template to {output}")


@cli.command()
@_file_options
@click.pass_obj
def export(obj: Context, type_name: str, file_format: str | None, output: Path) -> None:
    """Write every existing record, ready to edit and upload again."""
    from bulkpoc.domain.records import RECORD_TYPES
    from bulkpoc.output.exports import write_records

    with user_errors():
        count = write_records(
            obj.store(),
            RECORD_TYPES[type_name],
            _format_for(output, file_format),
            output,
            template=False,
        )
    click.echo(f"Exported {count} {RECORD_TYPES[type_name].plural.lower()} to {output}")
