"""Data File Processing & Results: a batch's progress, then its result, row errors and files.

A batch's rows are its record type's data, so its page and files take that type's permission,
as in the API; its progress, like the Run History, is open to every logged-in user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response

from bulkpoc.batch.submit import load_result
from bulkpoc.domain.errors.codes import CATALOGUE
from bulkpoc.domain.history import files_removed
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.users import User
from bulkpoc.formats.base import RawTable
from bulkpoc.store.db import Store
from bulkpoc.web import changes_tab, grid
from bulkpoc.web.access import LOGIN, batch_in_path, page
from bulkpoc.web.deps import get_store
from bulkpoc.web.downloads import (
    PAGE_FILES,
    changes_file,
    email_file,
    error_file,
    report_page,
)
from bulkpoc.web.paging import pager, requested_page
from bulkpoc.web.progress import BatchProgress, batch_progress
from bulkpoc.web.routes.fixes import fix_links
from bulkpoc.web.routes.records import record_url
from bulkpoc.web.routes.undo import undo_links
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)

WHOLE_ROW = "(whole row)"  # the column filter's value for errors about a row as a whole

LoggedIn = Annotated[User, page(LOGIN)]
MayRead = Annotated[User, page(batch_in_path("batch_id"))]  # the batch's record type's data
StoreDep = Annotated[Store, Depends(get_store)]


def _batch(store: Store, batch_id: int) -> dict:
    batch = store.batch(batch_id)
    if batch is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"There is no batch {batch_id}.")
    return batch


def _finished_result(store: Store, batch_id: int) -> BatchResult:
    batch = _batch(store, batch_id)
    if not BatchStatus(batch["status"]).finished:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Batch {batch_id} has not finished yet: it has no result."
        )
    return load_result(store, batch_id)


@router.get("/batches/{batch_id:int}")
def batch_page(request: Request, batch_id: int, user: MayRead, store: StoreDep) -> Response:
    batch = _batch(store, batch_id)
    if not BatchStatus(batch["status"]).finished:
        return render(
            request,
            "batch_progress.html",
            user=user,
            batch=batch,
            progress=batch_progress(request, store, batch),
        )
    result = load_result(store, batch_id, with_errors=False)
    tab, tabs = changes_tab.tabs(request, result)
    shown: dict[str, Any] = {"counts": None}
    if tab == changes_tab.ERRORS:
        shown = _row_errors(request, store, result)
    elif tab == changes_tab.CHANGES:
        shown = changes_tab.changes_tab(request, store, result)
    return render(
        request,
        "batch.html",
        user=user,
        result=result,
        rtype=RECORD_TYPES.get(result.record_type),
        error_file_name=Path(result.reports.error_file).name if result.reports.error_file else None,
        can_apply=_can_apply(store, result, user),
        apply_failed=result.applied_as is not None
        and store.applied_as(batch_id, holding=True) is None,
        **undo_links(store, result),
        **fix_links(store, result, user),
        tab=tab,
        tabs=tabs,
        **shown,
    )


def _can_apply(store: Store, result: BatchResult, user: User) -> bool:
    """Whether the page offers "Apply this file": a dry run that finished, not applied yet
    (by a batch that did not fail), and a user who may upload its record type."""
    rtype = RECORD_TYPES.get(result.record_type)
    return (
        result.dry_run
        and result.status in (BatchStatus.SUCCEEDED, BatchStatus.COMPLETED_WITH_ERRORS)
        and rtype is not None
        and rtype.permission in user.permissions
        and result.batch_id is not None
        and store.applied_as(result.batch_id, holding=True) is None
    )


def _row_errors(request: Request, store: Store, result: BatchResult) -> dict:
    """The error counts, the filter, and one page of the failed rows as a grid."""
    batch_id = result.batch_id
    assert batch_id is not None
    counts = store.error_counts(batch_id)
    if not counts.by_code:
        return {"counts": None}
    column = request.query_params.get("column") or None
    code = request.query_params.get("code") or None
    chosen_column = "" if column == WHOLE_ROW else column
    page = requested_page(request)
    size = 50
    failed, total = store.failed_rows(batch_id, chosen_column, code, (page - 1) * size, size)
    pages = pager(request, total, page, size)
    if pages.page != page:  # past the last page: show the last
        failed, total = store.failed_rows(batch_id, chosen_column, code, pages.offset, size)
    filtered = column is not None or code is not None
    raw = _error_file(store, batch_id, total, filtered) if failed else None
    rtype = RECORD_TYPES[result.record_type]
    errors = store.errors_in_rows(batch_id, [f.row for f in failed])
    failed_grid = grid.build_grid(rtype, raw, failed, errors)
    stored = store.stored_keys(rtype, [row.key for row in failed_grid.rows])
    return {
        "counts": counts,
        "titles": {known: error_type.title for known, error_type in CATALOGUE.items()},
        "column": column,
        "code": code,
        "whole_row": WHOLE_ROW,
        "grid": failed_grid,
        # The rows naming a stored record link to its page (the page needs this batch's permission).
        "record_links": {cell: record_url(rtype, key) for cell, key in stored.items()},
        "name_header": grid.name_header(rtype),
        "pager": pages,
    }


def _error_file(store: Store, batch_id: int, shown: int, filtered: bool) -> RawTable | None:
    """The stored error file's table, which has one row per failed row (``shown`` of them
    when the grid is not filtered)."""
    stored = store.batch_file(batch_id, "errors")
    if stored is None:
        return None
    every_failed_row = store.failed_rows(batch_id, limit=0)[1] if filtered else shown
    return grid.read_error_file(stored[1], every_failed_row)


@router.get("/batches/{batch_id:int}/progress.json", response_model=BatchProgress)
def batch_progress_json(
    request: Request, batch_id: int, _user: LoggedIn, store: StoreDep
) -> BatchProgress:
    return batch_progress(request, store, _batch(store, batch_id))


@router.get("/batches/{batch_id:int}/report.html")
def batch_report(request: Request, batch_id: int, _user: MayRead, store: StoreDep) -> Response:
    """The HTML report, rendered from the stored result (the same as the file the batch wrote)."""
    return report_page(request, _finished_result(store, batch_id), PAGE_FILES, store)


@router.get("/batches/{batch_id:int}/errors")
def batch_error_file(batch_id: int, _user: MayRead, store: StoreDep) -> Response:
    """The failed rows in the uploaded format, with an Error column: fix and upload again."""
    stored = store.batch_file(batch_id, "errors")
    if stored is None:
        why = files_removed(_batch(store, batch_id))
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"Batch {batch_id} has no error file" + (f": {why}." if why else "."),
        )
    return error_file(*stored)


@router.get("/batches/{batch_id:int}/changes.csv")
def batch_changes_file(batch_id: int, _user: MayRead, store: StoreDep) -> Response:
    """Every change the batch made (or, for a dry run, would make): Row, ID, Name, Field,
    Before, After."""
    result = _finished_result(store, batch_id)
    if result.changes is None or result.changes.empty:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Batch {batch_id} changed nothing.")
    return changes_file(store, batch_id)


@router.get("/batches/{batch_id:int}/email.eml")
def batch_email(batch_id: int, _user: MayRead, store: StoreDep) -> Response:
    """The results email as it was sent (or is waiting in the outbox to be sent)."""
    email = email_file(store, batch_id)
    if email is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Batch {batch_id} sent no email.")
    return email
