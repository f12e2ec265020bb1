"""The results page's Changes tab: the batch's changes summary, a filter by field, by
transition (before -> after) and by action, and one page of the changes, paged by the store.

Everything the tab shows is in its URL (``?tab=changes&field=Skill&page=2``), so it works
without JavaScript. A dry run's rows carry an ``exclude_rows`` checkbox each, joined to the
"Apply this file" form (``form="apply-form"``), for the reviewer to leave rows out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Request

from bulkpoc.domain.changes import CREATED, REMOVED, UPDATED, ChangeSummary
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.output.changes import ChangeLine, named_lines
from bulkpoc.store.db import Store
from bulkpoc.web.paging import pager, requested_page

ERRORS, CHANGES = "errors", "changes"
PAGE_SIZE = 50
EXCLUDE_ALL_LIMIT = 10_000  # rows "exclude every row with this transition" ticks at most
# Where each record type's detail page is (``/pocs/42``), by its record type.
COLLECTIONS = {
    "poc": "pocs",
    "skill": "skills",
    "script": "scripts",
    "chat-profile": "chat-profiles",
    "number": "numbers",
}
ACTION_LABELS = {CREATED: "Created", UPDATED: "Updated", REMOVED: "Removed"}


@dataclass(frozen=True)
class Tab:
    name: str
    label: str
    current: bool


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class Shown:
    """A line of the tab: the change, its record's page, and its row's checkbox (on the
    first line of each file row on the page)."""

    line: ChangeLine
    link: str | None
    checkbox: bool
    checked: bool


def line_count(summary: ChangeSummary | None) -> int:
    """How many lines changes.csv has: one per created or removed record, one per changed
    field of an updated one."""
    if summary is None:
        return 0
    return summary.created + summary.removed + sum(field.rows for field in summary.fields)


def record_link(line: ChangeLine) -> str | None:
    """The record's detail page, for a record that has a key (a dry run's create has none)."""
    collection = COLLECTIONS.get(line.record_type)
    if not line.key or collection is None or line.action == REMOVED:
        return None
    return f"/{collection}/{quote(line.key, safe='')}"


def tabs(request: Request, result: BatchResult) -> tuple[str | None, list[Tab]]:
    """The tab the query asks for (default: the row errors when rows failed, else the
    changes) and the tabs there are: only those with something in them."""
    failed, changes = result.counts.failed, line_count(result.changes)
    available = {}
    if failed:
        available[ERRORS] = f"Row errors ({failed:,} row{'' if failed == 1 else 's'})"
    if changes:
        word = "Changes it would make" if result.dry_run else "Changes"
        available[CHANGES] = f"{word} ({changes:,})"
    if not available:
        return None, []
    asked = request.query_params.get("tab")
    chosen = asked if asked in available else next(iter(available))
    return chosen, [Tab(name, label, name == chosen) for name, label in available.items()]


def transition_value(field: str, before: str, after: str) -> str:
    return json.dumps([field, before, after], ensure_ascii=False)


def _transition(text: str | None) -> tuple[str, str, str] | None:
    """The ``transition`` parameter: a JSON list [field, before, after]; anything else, none."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value):
        return value[0], value[1], value[2]
    return None


def changes_tab(request: Request, store: Store, result: BatchResult) -> dict:
    """The summary, the filter's options and one page of the changes, as the template wants."""
    summary = result.changes
    assert summary is not None
    assert result.batch_id is not None
    query = request.query_params
    action = query.get("action") if query.get("action") in ACTION_LABELS else None
    field = query.get("field") or None
    transition = _transition(query.get("transition"))
    before = after = None
    if transition is not None:
        field, before, after = transition
    filters = {"field": field, "before": before, "after": after, "action": action}
    page = requested_page(request)
    rows, total = store.batch_changes(
        result.batch_id, **filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    pages = pager(request, total, page, PAGE_SIZE)
    if pages.page != page:  # past the last page: show the last
        rows, total = store.batch_changes(
            result.batch_id, **filters, offset=pages.offset, limit=PAGE_SIZE
        )
    with store.engine.connect() as connection:
        lines = named_lines(connection, rows)
    reviewable = result.dry_run and result.status in (
        BatchStatus.SUCCEEDED,
        BatchStatus.COMPLETED_WITH_ERRORS,
    )
    exclude_all = reviewable and transition is not None and query.get("exclude") == "all"
    shown, seen = [], set()
    for line in lines:
        first = line.row is not None and line.row not in seen
        seen.add(line.row)
        shown.append(Shown(line, record_link(line), reviewable and first, exclude_all))
    return {
        "summary": summary,
        "lines": shown,
        "pager": pages,
        "reviewable": reviewable,
        "filtered": bool(field or action),
        "field_options": _field_options(summary, field if transition is None else None),
        "action_options": _action_options(summary, action),
        "transition_options": _transition_options(summary, transition),
        "transition_links": _transition_links(summary, reviewable),
        "transition": transition,
        "field": field,
        "action": action,
        "hidden_rows": _hidden_rows(store, result.batch_id, filters, seen) if exclude_all else [],
    }


def _field_options(summary: ChangeSummary, field: str | None) -> list[Option]:
    return [
        Option(f.field, f"{f.field} ({f.rows:,} row{'' if f.rows == 1 else 's'})", f.field == field)
        for f in summary.fields
    ]


def _action_options(summary: ChangeSummary, action: str | None) -> list[Option]:
    counts = {CREATED: summary.created, UPDATED: summary.updated, REMOVED: summary.removed}
    return [
        Option(name, f"{ACTION_LABELS[name]} ({count:,})", name == action)
        for name, count in counts.items()
        if count
    ]


def _transition_options(
    summary: ChangeSummary, chosen: tuple[str, str, str] | None
) -> list[tuple[str, list[Option]]]:
    """The most common transitions of each field, grouped by field."""
    groups = []
    for f in summary.fields:
        options = [
            Option(
                transition_value(f.field, t.before, t.after),
                f"{t.before or '(blank)'} -> {t.after or '(blank)'} ({t.rows:,})",
                chosen == (f.field, t.before, t.after),
            )
            for t in f.transitions
        ]
        if options:
            groups.append((f.field, options))
    return groups


def _transition_links(
    summary: ChangeSummary, reviewable: bool
) -> list[tuple[str, str, str | None]]:
    """For each summary line of a transition: its text, the link that shows its rows, and
    (for a dry run) the link that ticks every one of them for exclusion."""
    links = []
    for f in summary.fields:
        for t in f.transitions:
            text = f"{f.field}: {t.before or '(blank)'} -> {t.after or '(blank)'}: {t.rows:,}"
            value = transition_value(f.field, t.before, t.after)
            show = "?" + urlencode({"tab": CHANGES, "transition": value}) + "#changes"
            exclude = (
                "?"
                + urlencode({"tab": CHANGES, "transition": value, "exclude": "all"})
                + "#changes"
                if reviewable
                else None
            )
            links.append((text, show, exclude))
    return links


def _hidden_rows(store: Store, batch_id: int, filters: dict, shown: set[int | None]) -> list[int]:
    """The rows with the chosen transition not on this page, each to post as ``exclude_rows``."""
    rows, _total = store.batch_changes(batch_id, **filters, offset=0, limit=EXCLUDE_ALL_LIMIT)
    return sorted({row["row"] for row in rows if row["row"] is not None} - shown)
