"""A record's history on its page (issue 23, item 4): the section ``record.html`` includes in
its history block, from the same RecordHistory as `bulkpoc changes`; rendered here on its own
through a request to the real app's templates, on both stores."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store.db import Store
from bulkpoc.web.record_history import history_section
from bulkpoc.web.templating import templates
from tests.conftest import poc, stored_pocs
from tests.history import a_batch, updated, write_changes
from tests.web import page


def section_app(store: Store, settings) -> TestClient:
    """An app whose one page is the history section of ``/{type}/{key}``."""
    app = FastAPI()
    app.state.store, app.state.settings = store, settings

    @app.get("/{type_name}/{key}")
    def show(request: Request, type_name: str, key: str) -> HTMLResponse:
        context = history_section(request, store, RECORD_TYPES[type_name], key)
        html = templates.get_template("_record_history.html").render(context)
        return HTMLResponse(html)

    return TestClient(app)


def test_the_history_section_lists_each_change_with_its_batch_a_page_at_a_time(
    run, store, settings
):
    first = run([poc(Name="Sales line")])
    [made] = stored_pocs(store)
    batch = a_batch(store, dry_run=True, file_name="preview.csv")
    write_changes(store, batch, [updated(str(made["id"]), "Skill", "Sales Calls", "X")] * 60)
    client = section_app(store, settings)

    shown = page(client.get(f"/poc/{made['id']}").text)
    rows = shown.by_id("history").all("tr")[1:]
    assert len(rows) == 50
    assert rows[0].text.startswith(f"Batch {first.batch_id} ")
    assert "admin cli: upload-0.csv 2 created: Name=Sales line" in rows[0].text
    assert rows[1].text.startswith(f"Batch {batch} (dry run: not applied)")
    assert rows[1].text.endswith("preview.csv 2 Skill: Sales Calls -> X")
    assert shown.all("nav", class_="pager")[0].text.startswith(
        "Showing 1–50 of 61 changes (page 1 of 2)."
    )
    last = page(client.get(f"/poc/{made['id']}?page=9").text)
    assert len(last.by_id("history").all("tr")) == 12  # the last page: 11 rows and the header


def test_a_record_no_batch_changed_says_so(store, settings):
    client = section_app(store, settings)
    with store.transaction() as connection:
        connection.exec_driver_sql("DELETE FROM changes")
    shown = page(client.get("/number/+12025550100").text)
    assert shown.by_id("history").text == (
        "No batch has changed it since bulkpoc began keeping change records."
    )
