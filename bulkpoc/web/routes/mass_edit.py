"""Mass edit from a list: the points of contact ticked in the POC list (or all those its
filter matches), or skills ticked on this page, get one field set to one value.

The page says what is selected, offers the fields (Skill, Script, Chat Profile, IVR
Reporting Enabled, Active for points of contact; Active for skills), then the values of the
chosen one (chosen first, so the page needs no JavaScript). Saving runs the edit as a dry run
(source ``list``) and goes to its results page, whose Changes tab is the plan, field by field,
and whose "Apply this file" applies exactly that plan as a batch with its history and undo.
"""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import MultiDict

from bulkpoc.batch.edits import EditRefused, bulk_edit
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.users import User
from bulkpoc.store.choices import references
from bulkpoc.store.db import Store
from bulkpoc.store.listing import RecordFilter
from bulkpoc.web.access import page, permission_of
from bulkpoc.web.deps import get_settings, get_store
from bulkpoc.web.record_list import ListView, columns_of
from bulkpoc.web.templating import render

router = APIRouter(include_in_schema=False)

# The fields a mass edit sets, by API name, for each record type that has one.
FIELDS: dict[str, dict[str, str]] = {
    "poc": {
        "skill": "Skill",
        "script": "Script",
        "chat_profile": "Chat Profile",
        "ivr_reporting_enabled": "IVR Reporting Enabled",
        "active": "Active",
    },
    "skill": {"active": "Active"},
}
YES_NO = [("Y", "Yes"), ("N", "No")]
MAX_TICKED = 1_000  # ids one request names; "all matching this filter" has no bound
SKILL_LIST_LIMIT = 1_000


@dataclass(frozen=True)
class Selection:
    """What a mass edit changes: the ticked ids, or every record the filter matches."""

    ids: tuple[int, ...]
    everything: bool
    view: ListView

    @classmethod
    def from_params(cls, params: MultiDict) -> "Selection":
        ids = [int(v) for v in params.getlist("ids") if isinstance(v, str) and v.isdigit()]
        if len(ids) > MAX_TICKED:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"At most {MAX_TICKED:,} can be ticked at once; choose 'all matching this "
                "filter' for more.",
            )
        poc = RECORD_TYPES["poc"]
        query = {k: v for k, v in params.items() if isinstance(v, str)}
        view = ListView.from_query(query, poc, columns_of(poc))
        return cls(tuple(dict.fromkeys(ids)), params.get("all") == "1", view)

    @property
    def where(self) -> RecordFilter:
        return self.view.where

    def hidden(self) -> list[tuple[str, str]]:
        """The selection as form fields, to carry it from one step to the next."""
        fields = [("ids", str(i)) for i in self.ids] if not self.everything else [("all", "1")]
        where = self.where
        for name, value in (
            ("q", where.query),
            ("media_type", where.media_type),
            ("skill", where.skill),
            ("active", where.active or ""),
        ):
            if value:
                fields.append((name, value))
        return fields

    def query(self, **more: str) -> str:
        return urlencode(self.hidden() + list(more.items()))


def _value_choices(store: Store, field: str, where: RecordFilter) -> list[tuple[str, str]]:
    media = where.media_type or None
    if field == "skill":
        found = references(store.engine, "skill", media, active=True)
        return [(s.name, s.name) for s in found]
    if field in ("script", "chat_profile"):
        found = references(store.engine, "script" if field == "script" else "chat-profile", media)
        none = [("", "(none)")] if field == "chat_profile" else []
        return none + [(s.name, s.name) for s in found]
    return YES_NO


def _count(store: Store, rtype: RecordType, selection: Selection) -> int:
    if not selection.everything:
        return len(selection.ids)
    return store.search_records(rtype, selection.where, limit=1)[1]


def _page(request: Request, user: User, rtype: RecordType, params: MultiDict) -> Response:
    store = get_store(request)
    selection = Selection.from_params(params)
    fields = FIELDS[rtype.name]
    field = params.get("field", "")
    field = field if field in fields else ("active" if len(fields) == 1 else "")
    skills = (
        store.search_records(rtype, RecordFilter(), limit=SKILL_LIST_LIMIT)[0]
        if rtype.name == "skill"
        else []
    )
    return render(
        request,
        "mass_edit.html",
        user=user,
        rtype=rtype,
        selection=selection,
        count=_count(store, rtype, selection),
        fields=fields,
        field=field,
        choices=_value_choices(store, field, selection.where) if field else [],
        records=skills,
        back=f"/pocs?{selection.view.query()}" if rtype.name == "poc" else "/manage/skill",
    )


def _preview(request: Request, user: User, rtype: RecordType, form: MultiDict) -> Response:
    """Run the edit as a dry run and show its plan, where it can be applied."""
    selection = Selection.from_params(form)
    field, value = form.get("field", ""), form.get("value")
    if field not in FIELDS[rtype.name] or not isinstance(value, str):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Choose a field and its new value.")
    if not selection.everything and not selection.ids:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"Tick the {rtype.plural.lower()} to change first."
        )
    ids = None if selection.everything else list(selection.ids)
    try:
        result = bulk_edit(
            get_store(request),
            get_settings(request),
            rtype.name,
            ids,
            {field: value},
            user.name,
            source="list",
            dry_run=True,
            where=selection.where,
        )
    except EditRefused as refused:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(refused)) from None
    target = f"/batches/{result.batch_id}?tab=changes" if result.batch_id else "/history"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _register(rtype: RecordType) -> None:
    path = f"/{rtype.name}s/mass-edit"
    needs = permission_of(rtype.name)

    def show(request: Request, user: Annotated[User, page(needs)]) -> Response:
        return _page(request, user, rtype, MultiDict(request.query_params.multi_items()))

    async def preview(request: Request, user: Annotated[User, page(needs)]) -> Response:
        form: Any = await request.form()
        return await run_in_threadpool(_preview, request, user, rtype, form)

    router.add_api_route(path, show, methods=["GET"], name=f"{rtype.name}_mass_edit")
    router.add_api_route(path, preview, methods=["POST"], name=f"{rtype.name}_mass_preview")


for _name in FIELDS:
    _register(RECORD_TYPES[_name])
