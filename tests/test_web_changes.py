"""The results page's Changes tab (issue 23, item 2): the summary, a filter by field, by
transition and by action, pages cut by the store, links to each record's page, a dry run's
``exclude_rows`` checkboxes; and the batch's changes.csv served by the page and the API."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult
from bulkpoc.output import changes, report
from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store
from tests.conftest import poc, stored_pocs
from tests.web import Element, api_client, logged_in, page

BILLING = "Email Billing"


def mailboxes(count: int, start: int = 0) -> list[dict[str, str]]:
    """``count`` new Email POCs (the demo inventory has few phone numbers)."""
    return [
        poc(
            Name=f"Mailbox {n}",
            Media_Type="Email",
            Point_of_Contact=f"box{n}@example.com",
            Skill="Email Support",
            Script="Email Router",
        )
        for n in range(start, start + count)
    ]


def again(store: Store) -> list[dict[str, str]]:
    """The stored Email POCs as rows of an upload that changes nothing, by id, in id order."""
    return [
        poc(
            Point_of_Contact_ID=str(p["id"]),
            Name=p["name"],
            Media_Type="Email",
            Point_of_Contact=p["address"],
            Skill="Email Support",
            Script="Email Router",
        )
        for p in stored_pocs(store)
    ]


@pytest.fixture
def client(store: Store, settings: Settings) -> TestClient:
    return logged_in(store, settings)


@pytest.fixture
def billing(run) -> None:
    """A second active Email skill, for POCs to move to."""
    skill = {"Name": "Email Billing", "Media Type": "Email", "Active": "Y"}
    result = run([skill], headers=RECORD_TYPES["skill"].headers, record_type="skill")
    assert result.counts.created == 1, result.errors


@pytest.fixture
def mixed(run, store, billing) -> BatchResult:
    """Six mailboxes, then a batch that renames two, moves three to another skill, creates
    one, leaves one alone and fails one row."""
    assert run(mailboxes(6)).counts.created == 6
    rows = again(store)
    for row in rows[:2]:
        row["Name"] += " (old)"
    for row in rows[2:5]:
        row["Skill"] = BILLING
    rows += [*mailboxes(1, start=6), poc(Name="Broken", Skill="Nope", Point_of_Contact="+1202")]
    result = run(rows)
    assert result.counts.as_dict() == {
        "total": 8, "processed": 8, "created": 1, "updated": 5, "unchanged": 1, "skipped": 0,
        "failed": 1, "removed": 0,
    }, result.errors  # fmt: skip
    return result


def changes_table(html: Element) -> list[list[str]]:
    """The Changes tab's lines: row, record, field, before, after (no checkbox cell)."""
    body = html.by_id("change-lines").all("tbody")[0]
    shown = []
    for line in body.all("tr"):
        cells = [c for c in line.children if isinstance(c, Element) and c.tag in {"td", "th"}]
        if (cells and cells[0].all("input")) or (
            cells and cells[0].tag == "td" and not cells[0].text and len(cells) == 6
        ):
            cells = cells[1:]
        shown.append([cell.text for cell in cells])
    return shown


def tab_links(html: Element) -> dict[str, str]:
    return {a.text: a.attrs.get("aria-current", "") for a in html.by_id("results-tabs").all("a")}


def test_the_tabs_sit_side_by_side_and_the_errors_come_first_when_rows_failed(
    client, mixed
) -> None:
    html = page(client.get(f"/batches/{mixed.batch_id}").text)
    assert tab_links(html) == {"Row errors (1 row)": "page", "Changes (6)": ""}
    assert html.has_id("grid")
    assert not html.has_id("change-lines")

    shown = page(client.get(f"/batches/{mixed.batch_id}?tab=changes").text)
    assert tab_links(shown) == {"Row errors (1 row)": "", "Changes (6)": "page"}
    assert not shown.has_id("grid")
    summary = [item.text for item in shown.by_id("change-summary").all("li")]
    assert mixed.changes is not None
    assert summary == mixed.changes.lines()
    assert summary[:3] == [
        "Created: 1 record",
        "Name: 2 rows",
        "Name Mailbox 0 -> Mailbox 0 (old): 1",
    ]
    assert f"Skill Email Support -> {BILLING}: 3" in summary


def test_each_line_shows_the_row_record_field_before_and_after_and_links_the_record(
    client, mixed, store
) -> None:
    html = page(client.get(f"/batches/{mixed.batch_id}?tab=changes").text)
    pocs = stored_pocs(store)
    lines = changes_table(html)
    assert len(lines) == 6
    assert [line[0] for line in lines] == ["2", "3", "4", "5", "6", "8"]
    assert lines[0] == [
        "2", f"Mailbox 0 (old) ID {pocs[0]['id']}", "Name", "Mailbox 0", "Mailbox 0 (old)"
    ]  # fmt: skip
    assert lines[2][2:] == ["Skill", "Email Support", BILLING]
    assert lines[-1][2] == "(created)"
    assert lines[-1][4].startswith("Name: Mailbox 6; Media Type: Email;")
    links = {a.text: a.attrs["href"] for a in html.by_id("change-lines").all("a")}
    assert links["Mailbox 0 (old)"] == f"/pocs/{pocs[0]['id']}"
    assert links["Mailbox 6"] == f"/pocs/{pocs[6]['id']}"


def test_the_tab_filters_by_field_transition_and_action(client, mixed) -> None:
    url = f"/batches/{mixed.batch_id}?"
    fields = page(client.get(url + "tab=changes").text).by_id("filter-field").all("option")
    assert [o.text for o in fields] == [
        "Every field", "Name (2 rows)", "Skill (3 rows)"
    ]  # fmt: skip

    names = page(client.get(url + urlencode({"tab": "changes", "field": "Name"})).text)
    assert [line[2] for line in changes_table(names)] == ["Name", "Name"]
    assert names.by_id("changes-caption").text == "Changes to Name"

    moved = json.dumps(["Skill", "Email Support", BILLING])
    by_transition = page(client.get(url + urlencode({"tab": "changes", "transition": moved})).text)
    assert [line[0] for line in changes_table(by_transition)] == ["4", "5", "6"]
    chosen = [
        o for o in by_transition.by_id("filter-transition").all("option") if "selected" in o.attrs
    ]
    assert [o.text for o in chosen] == [f"Email Support -> {BILLING} (3)"]
    summary_links = {a.text: a.attrs["href"] for a in by_transition.by_id("transitions").all("a")}
    link = summary_links[f"Skill: Email Support -> {BILLING}: 3"]
    assert (
        page(client.get(f"/batches/{mixed.batch_id}" + link.split("#")[0]).text)
        .by_id("changes-caption")
        .text
        == f"Changes: Skill Email Support -> {BILLING}"
    )

    created = page(client.get(url + "tab=changes&action=created").text)
    assert [line[2] for line in changes_table(created)] == ["(created)"]
    nothing = page(client.get(url + "tab=changes&field=Script").text)
    assert changes_table(nothing) == []
    assert "Showing 0–0 of 0 changes." in nothing.all("nav", "pager")[0].text
    # A transition that is not one: every change, as for no filter.
    odd = page(client.get(url + "tab=changes&transition=%5B1%2C2").text)
    assert len(changes_table(odd)) == 6


def test_the_tab_shows_fifty_changes_a_page_cut_by_the_store(client, run) -> None:
    result = run(mailboxes(120))
    first = page(client.get(f"/batches/{result.batch_id}").text)  # no failed rows: changes
    assert tab_links(first) == {"Changes (120)": "page"}
    assert len(changes_table(first)) == 50
    assert "Showing 1–50 of 120 changes (page 1 of 3)." in first.all("nav", "pager")[0].text
    next_link = first.all("nav", "pager")[0].all("a")[0].attrs["href"]
    assert "tab=" not in next_link or "page=2" in next_link
    last = page(client.get(f"/batches/{result.batch_id}?tab=changes&page=3").text)
    assert [line[0] for line in changes_table(last)] == [str(n) for n in range(102, 122)]
    beyond = page(client.get(f"/batches/{result.batch_id}?tab=changes&page=99").text)
    assert "page 3 of 3" in beyond.all("nav", "pager")[0].text


def test_a_dry_run_shows_what_would_change_with_a_checkbox_per_row(
    client, run, store, billing
) -> None:
    assert run(mailboxes(3)).counts.created == 3
    rows = again(store)
    rows[0]["Name"] = "Renamed"
    rows[0]["Skill"] = BILLING
    rows[2]["Skill"] = BILLING
    result = run(rows, dry_run=True)
    html = page(client.get(f"/batches/{result.batch_id}").text)

    assert tab_links(html) == {"Changes it would make (3)": "page"}
    assert html.by_id("changes").text == "Changes this batch would make"
    form = html.by_id("changes-form")
    boxes = form.all("input")
    ticks = [box.attrs["value"] for box in boxes if box.attrs.get("name") == "exclude_rows"]
    assert ticks == ["2", "4"]  # one per file row, though row 2 changes two fields
    assert {box.attrs["form"] for box in boxes} == {"apply-form"}  # "Apply this file" posts them
    labels = [label.text for label in form.all("label")]
    assert labels == ["Exclude row 2", "Exclude row 4"]
    assert next(p["name"] for p in stored_pocs(store)) == "Mailbox 0"  # nothing applied

    # "Exclude every row with this transition": its rows ticked, in the same form.
    moved = json.dumps(["Skill", "Email Support", BILLING])
    query = urlencode({"tab": "changes", "transition": moved, "exclude": "all"})
    picked = page(client.get(f"/batches/{result.batch_id}?{query}").text).by_id("changes-form")
    checked = [b.attrs["value"] for b in picked.all("input") if "checked" in b.attrs]
    assert checked == ["2", "4"]


def test_an_applied_batch_has_no_checkboxes(client, run) -> None:
    result = run(mailboxes(2))
    html = page(client.get(f"/batches/{result.batch_id}").text)
    assert not [i for i in html.all("input") if i.attrs.get("name") == "exclude_rows"]
    assert not html.has_id("transitions") or "Exclude" not in html.by_id("transitions").text


def test_a_batch_that_changed_nothing_has_no_changes_tab(client, run, store) -> None:
    run(mailboxes(2))
    result = run(again(store))
    html = page(client.get(f"/batches/{result.batch_id}").text)
    assert not html.has_id("results-tabs")
    assert client.get(f"/batches/{result.batch_id}/changes.csv").status_code == 404


def test_the_page_and_the_api_serve_the_changes_file_the_batch_wrote(
    client, mixed, store, settings
) -> None:
    batch = mixed.batch_id
    written = Path(mixed.reports.changes or "")
    served = client.get(f"/batches/{batch}/changes.csv")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/csv")
    assert f'filename="batch-{batch}-changes.csv"' in served.headers["content-disposition"]
    assert served.content == written.read_bytes()

    html = page(client.get(f"/batches/{batch}").text)
    links = {a.attrs["href"] for a in html.by_id("files").all("a")}
    assert f"/batches/{batch}/changes.csv" in links

    report_page = client.get(f"/batches/{batch}/report.html").text
    assert 'href="changes.csv"' in report_page  # beside the report, on disk and on the site
    with store.engine.connect() as connection:
        first = changes.first_lines(connection, batch)
    assert all(line.name in report_page for line in first)
    assert report.render("report.html", mixed, changes=first).count("<tr>") == report_page.count(
        "<tr>"
    )

    with api_client(store, settings, create_token(store, "partner", "admin")) as api:
        body = api.get(f"/api/v1/batches/{batch}").json()
        assert body["reports"]["changes"] == f"/api/v1/batches/{batch}/changes.csv"
        assert body["changes"] == mixed.changes.model_dump(mode="json")  # type: ignore[union-attr]
        assert api.get(body["reports"]["changes"]).content == written.read_bytes()
