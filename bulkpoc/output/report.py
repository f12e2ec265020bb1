"""Report: the HTML report and the re-uploadable error file of a batch, and the templates the
results email (``mail``) renders."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jinja2

from bulkpoc import formats
from bulkpoc.domain.records.base import ERROR_COLUMN
from bulkpoc.domain.result import BatchResult
from bulkpoc.formats.base import RawTable
from bulkpoc.output.changes import ChangeLine


def templates_dir() -> Path:
    """Installed wheels carry the templates inside the package; a source checkout at the top."""
    package = Path(__file__).resolve().parent.parent  # bulkpoc/, beside output/
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "report.html").exists():
            return candidate
    raise FileNotFoundError("bulkpoc's templates are missing from this installation")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, result: BatchResult, **extra: object) -> str:
    """``template`` for ``result``; ``changes``, the first lines of its changes (default none),
    and ``changes_note``, what the email says of its changes file; ``link``, the address of
    the batch's page (none without the ``public_url`` setting). ``served``: the report is
    the web UI's (it links to the batch's page and its files), not the file the batch wrote,
    which names its error file without the folder the server keeps it in."""
    context = {
        "changes": (),
        "changes_note": None,
        "link": None,
        "served": False,
        "error_file_name": file_name(result.reports.error_file),
        **extra,
    }
    return environment().get_template(template).render(result=result, **context)


def file_name(path: str | None) -> str:
    """The last part of a file's path, whichever the separator; "" for none."""
    return (path or "").replace("\\", "/").rsplit("/", 1)[-1]


def write_html_report(
    result: BatchResult, folder: Path, changes: Sequence[ChangeLine] = ()
) -> Path:
    path = folder / "report.html"
    path.write_text(render("report.html", result, changes=changes), encoding="utf-8")
    return path


def write_error_file(result: BatchResult, raw: RawTable, folder: Path, stem: str) -> Path | None:
    """The failed rows with their original values and an Error column, in the uploaded format."""
    if not result.errors:
        return None
    messages: dict[int, list[str]] = {}
    for error in result.errors:
        prefix = f"{error.column}: " if error.column else ""
        messages.setdefault(error.row, []).append(prefix + error.message)
    keep = [
        i
        for i, header in enumerate(raw.headers)
        if header.strip().casefold() != ERROR_COLUMN.casefold()
    ]
    failed = raw.rows.isin(list(messages))
    frame = raw.data.loc[failed[failed].index, keep].copy()
    frame.columns = [raw.headers[i] for i in keep]
    frame[ERROR_COLUMN] = raw.rows[failed].map(lambda row: " | ".join(messages[int(row)]))
    frame = frame.astype(str)
    fmt = formats.get(formats.get(raw.file_type).option)  # a spreadsheet's is an .xlsx
    path = folder / f"{stem}-errors{fmt.extensions[0]}"
    fmt.write_errors(frame.reset_index(drop=True), path, raw)
    return path
