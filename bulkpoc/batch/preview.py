"""Applying a dry run, inside the batch that applies it: the rows the reviewer left out, and
the check that the plan is still the one the dry run showed.

The batch runs the dry run's file again, as any batch, against the store as it is now. Before
anything is written, each row's outcome (what it creates, each field's before and after, its
errors) is compared with what the dry run recorded (its change records and row errors). If any
row differs, nothing is applied: the batch fails, names the rows, and queues a new dry run of
the file in its own transaction (``Store.queue_new_preview``).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
from sqlalchemy import Connection, select

from bulkpoc.domain.changes import CREATED
from bulkpoc.domain.errors.codes import PREVIEW_CHANGED
from bulkpoc.domain.errors.log import row_list
from bulkpoc.domain.errors.types import PreviewChanged, RowError
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.result import BatchResult
from bulkpoc.formats.base import RawTable
from bulkpoc.store import schema
from bulkpoc.store.db import Store

SHOWN_ROWS = 5  # rows of a changed plan described in the result, then a count
SHOWN_CHARS = 200  # how much of each side of a row the description shows


def leave_out(raw: RawTable, rows: tuple[int, ...]) -> tuple[RawTable, list[int]]:
    """The file without the rows the reviewer excluded, and those of them it has."""
    if not rows:
        return raw, []
    excluded = raw.rows.isin(rows)
    if not excluded.any():
        return raw, []
    kept = ~excluded
    found = sorted(int(row) for row in raw.rows[excluded])
    return dataclasses.replace(raw, data=raw.data[kept], rows=raw.rows[kept]), found


def excluded_warning(rows: list[int]) -> str:
    """What the result says of the rows left out: how many, and which (bounded)."""
    which = "row" if len(rows) == 1 else "rows"
    return (
        f"{len(rows):,} {which} skipped by the reviewer (excluded before applying): "
        f"{which} {row_list(rows)}."
    )


# --- is the plan still the dry run's? --------------------------------------------------------


def check_plan(
    store: Store,
    connection: Connection,
    options: ImportOptions,
    changes: pd.DataFrame,
    result: BatchResult,
) -> None:
    """Raise ``PreviewChanged`` (after queueing a new dry run) unless every row this batch
    processes would do what dry run ``options.preview_of`` showed; the result then says how
    the first rows differ.

    ``changes`` is this batch's plan as change records (columns ``row``, ``action``,
    ``field``, ``before``, ``after``); its row errors are the result's. Rows excluded now are
    left out of the dry run's side too.
    """
    preview = options.preview_of
    assert preview is not None
    assert result.batch_id is not None
    before = _stored_outcomes(connection, preview)
    before = before[~before["row"].isin(options.exclude_rows)]
    now = _outcomes(changes, result.errors)
    merged = before.merge(now, on=["row", "item"], how="outer", indicator=True)
    differing = sorted({int(row) for row in merged.loc[merged["_merge"] != "both", "row"]})
    if not differing:
        return
    shown = differing[:SHOWN_ROWS]
    for row in shown:
        result.warnings.append(
            f"Row {row:,}: the dry run showed {_describe(before, row)}; now {_describe(now, row)}."
        )
    if len(differing) > len(shown):
        result.warnings.append(f"… and {len(differing) - len(shown):,} more rows differ.")
    new_preview = store.queue_new_preview(connection, result.batch_id)
    raise PreviewChanged(
        PREVIEW_CHANGED,
        count=f"{len(differing):,}",
        preview=preview,
        rows=f"row {differing[0]:,}" if len(differing) == 1 else f"rows {row_list(differing)}",
        new_preview=new_preview,
    )


def _describe(outcomes: pd.DataFrame, row: int) -> str:
    items = outcomes.loc[outcomes["row"] == row, "item"].sort_values().tolist()
    if not items:
        return "no change"
    text = "; ".join(items)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _outcomes(changes: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
    """Each row's outcome as items of text (one per change record and per row error)."""
    items = [_change_items(changes)]
    if errors:
        frame = pd.DataFrame(errors, columns=["row", "column", "value", "code", "message"])
        items.append(_error_items(frame))
    return pd.concat(items, ignore_index=True)


def _stored_outcomes(
    connection: Connection, batch_id: int, rows: list[int] | None = None
) -> pd.DataFrame:
    """What dry run ``batch_id`` recorded for its rows: change records and row errors."""
    changes, errors = schema.changes, schema.batch_errors
    change_query = select(
        changes.c.row, changes.c.action, changes.c.field, changes.c.before, changes.c.after
    ).where(changes.c.batch_id == batch_id, changes.c.row.is_not(None))
    error_query = select(
        errors.c.row, errors.c.column, errors.c.value, errors.c.code, errors.c.message
    ).where(errors.c.batch_id == batch_id)
    if rows is not None:
        change_query = change_query.where(changes.c.row.in_(rows))
        error_query = error_query.where(errors.c.row.in_(rows))
    change_frame = pd.DataFrame(
        connection.execute(change_query).all(),
        columns=["row", "action", "field", "before", "after"],
    )
    error_frame = pd.DataFrame(
        connection.execute(error_query).all(),
        columns=["row", "column", "value", "code", "message"],
    )
    return pd.concat([_change_items(change_frame), _error_items(error_frame)], ignore_index=True)


def _change_items(frame: pd.DataFrame) -> pd.DataFrame:
    """ "updated Skill: Sales Calls -> Support Calls" per changed field; "created" for a new
    record, whose values come from the file but for what the store assigns anew each time
    (its ID, Last Modified, a chat address), so they are not compared."""
    text = frame[["action", "field", "before", "after"]].astype(object).fillna("")
    item = text["action"] + " " + text["field"] + ": " + text["before"] + " -> " + text["after"]
    item = item.where(frame["action"] != CREATED, CREATED)
    return pd.DataFrame({"row": frame["row"].astype("int64"), "item": item.astype(object)})


def _error_items(frame: pd.DataFrame) -> pd.DataFrame:
    column = frame["column"].astype(object).where(frame["column"] != "", "row")
    item = "failed (" + frame["code"] + ") " + column + ": " + frame["message"]
    return pd.DataFrame({"row": frame["row"].astype("int64"), "item": item.astype(object)})
