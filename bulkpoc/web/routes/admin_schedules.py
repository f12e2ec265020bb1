"""Administration, Schedules: the list with next and last runs, adding and editing one,
enabling and disabling it, running it now, and each one's recent files and run history.

The same rules as ``bulkpoc schedule`` (``services.schedules``, ``Store.add_schedule``): a
bad cron expression, time zone, user or address is refused in one sentence, beside the form,
with what was typed kept.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.limits import normalised
from bulkpoc.domain.options import RowsMode
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.schedule import BadSchedule, Schedule, UnknownSchedule
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.users import User
from bulkpoc.schedules.inbox import process_inbox
from bulkpoc.services import schedules as service
from bulkpoc.store.db import Store
from bulkpoc.web.admin_pages import Admin, admin_render, back_to, form_text
from bulkpoc.web.deps import get_settings, get_store
from bulkpoc.web.routes.manage import ROWS

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
RECENT_FILES = 10
NOTICES = {
    "added": "Schedule added; its inbox folder is ready.",
    "saved": "Schedule saved.",
    "enabled": "Schedule enabled: it runs on time again.",
    "disabled": "Schedule disabled: it does not run on time until enabled ('Run now' still does).",
}


@router.get("/admin/schedules")
def schedules_page(request: Request, user: Admin, store: StoreDep) -> Response:
    return _list(request, user, store)


@router.post("/admin/schedules")
async def add_schedule(request: Request, user: Admin, store: StoreDep) -> Response:
    form = await request.form()
    typed = _typed(form)
    try:
        added = service.add_schedule(store, _schedule(typed))
    except BulkpocError as refused:
        return _list(request, user, store, status.HTTP_400_BAD_REQUEST, str(refused), typed)
    return back_to(f"/admin/schedules/{added.id}", "added")


@router.get("/admin/schedules/{schedule_id:int}")
def schedule_page(request: Request, user: Admin, store: StoreDep, schedule_id: int) -> Response:
    return _one(request, user, store, _found(store, schedule_id))


@router.post("/admin/schedules/{schedule_id:int}")
async def edit_schedule(
    request: Request, user: Admin, store: StoreDep, schedule_id: int
) -> Response:
    chosen = _found(store, schedule_id)
    typed = _typed(await request.form()) | {"name": chosen.name}
    try:
        edited = dataclasses.replace(_schedule(typed), id=chosen.id, enabled=chosen.enabled)
        service.change_schedule(store, edited)
    except BulkpocError as refused:
        code = status.HTTP_400_BAD_REQUEST
        return _one(request, user, store, chosen, code, error=str(refused), typed=typed)
    return back_to(f"/admin/schedules/{schedule_id}", "saved")


@router.post("/admin/schedules/{schedule_id:int}/enabled")
async def enable_schedule(
    request: Request, _user: Admin, store: StoreDep, schedule_id: int
) -> Response:
    chosen = _found(store, schedule_id)
    enabled = form_text(await request.form(), "enabled") == "1"
    service.set_enabled(store, chosen.name, enabled)
    return back_to(f"/admin/schedules/{schedule_id}", "enabled" if enabled else "disabled")


@router.post("/admin/schedules/{schedule_id:int}/run")
async def run_schedule(
    request: Request, user: Admin, store: StoreDep, schedule_id: int
) -> Response:
    """Look at the inbox now and submit its new files, as ``bulkpoc schedule run`` does."""
    chosen = _found(store, schedule_id)
    settings, queue = get_settings(request), request.app.state.queue
    try:
        ran = await run_in_threadpool(process_inbox, store, settings, queue, chosen)
    except BulkpocError as refused:
        code = status.HTTP_503_SERVICE_UNAVAILABLE
        return _one(request, user, store, chosen, code, error=str(refused))
    return _one(request, user, store, chosen, ran=ran)


# --- the pages ----------------------------------------------------------------------------


def _list(
    request: Request,
    user: User,
    store: Store,
    status_code: int = status.HTTP_200_OK,
    error: str | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    schedules = store.schedules()
    return admin_render(
        request,
        "admin_schedules.html",
        user,
        "schedules",
        status_code,
        schedules=[(each, service.next_run(each), service.last_run(each)) for each in schedules],
        error=error,
        typed=typed or {"timezone": "UTC", "record_type": "poc", "rows": "all"},
        notices=NOTICES,
        **_choices(store),
    )


def _one(
    request: Request,
    user: User,
    store: Store,
    chosen: Schedule,
    status_code: int = status.HTTP_200_OK,
    **shown: Any,
) -> Response:
    recent = store.history(limit=RECENT_FILES, schedule=chosen.name)
    return admin_render(
        request,
        "admin_schedule.html",
        user,
        "schedules",
        status_code,
        schedule=chosen,
        next_run=service.next_run(chosen),
        last_run=service.last_run(chosen),
        recent=recent,
        statuses={each.value: each.label for each in BatchStatus},
        typed=shown.pop("typed", None) or _as_typed(chosen),
        notices=NOTICES,
        **_choices(store),
        **shown,
    )


def _choices(store: Store) -> dict[str, Any]:
    return {
        "record_types": {name: rtype.plural for name, rtype in RECORD_TYPES.items()},
        "rows_modes": ROWS,
        "users": [each.name for each in store.list_users()],
        # The saved column mappings a schedule may read its files through, by record type.
        "mappings": [
            (each.name, RECORD_TYPES[each.record_type].plural) for each in store.mappings()
        ],
    }


def _found(store: Store, schedule_id: int) -> Schedule:
    try:
        return store.schedule_by_id(schedule_id)
    except UnknownSchedule:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such schedule.") from None


# --- the form -----------------------------------------------------------------------------

FIELDS = (
    "name",
    "cron",
    "timezone",
    "inbox",
    "record_type",
    "rows",
    "notify",
    "run_as",
    "mapping",
)


def _typed(form: Any) -> dict[str, Any]:
    typed: dict[str, Any] = {name: form_text(form, name) for name in FIELDS}
    typed["all_or_nothing"] = form_text(form, "all_or_nothing") == "1"
    typed["max_failed"] = form_text(form, "max_failed")
    typed["hold_for_approval"] = form_text(form, "hold_for_approval") == "1"
    return typed


def _as_typed(schedule: Schedule) -> dict[str, Any]:
    typed = {name: getattr(schedule, name, "") or "" for name in FIELDS if name != "notify"}
    typed["notify"] = ", ".join(schedule.recipients)
    typed["all_or_nothing"] = schedule.all_or_nothing
    typed["max_failed"] = schedule.max_failed or ""
    typed["hold_for_approval"] = schedule.hold_for_approval
    return typed


def _schedule(typed: dict[str, Any]) -> Schedule:
    """The schedule the form describes; an inbox must be a full path on the server (a relative
    one would depend on the folder the server was started in)."""
    inbox = Path(typed["inbox"]).expanduser()
    if not typed["inbox"] or not inbox.is_absolute():
        raise BadSchedule("Give the inbox as a full path on the server, e.g. /srv/bulkpoc/inbox.")
    schedule = Schedule(
        name=typed["name"],
        cron=typed["cron"],
        timezone=typed["timezone"] or "UTC",
        inbox="",
        record_type=typed["record_type"],
        rows=cast(RowsMode, typed["rows"]),
        all_or_nothing=typed["all_or_nothing"],
        max_failed=_limit(typed["max_failed"]),
        hold_for_approval=typed["hold_for_approval"],
        recipients=tuple(address for address in re.split(r"[,\s]+", typed["notify"]) if address),
        run_as=typed["run_as"],
        mapping=typed["mapping"] or None,
    )
    return service.with_inbox(schedule, inbox)


def _limit(text: str) -> str | None:
    """The failure limit as a schedule keeps it; a bad one refused in one sentence."""
    try:
        return normalised(text)
    except ValueError as error:
        raise BadSchedule(str(error)) from None
