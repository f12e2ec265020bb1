"""Mass edit from the list (issue 24, item 3), over HTTP as a browser sends the forms: the
POC list's ticks (or all matching its filter), a field and a value, then the plan as a dry
run's Changes tab (source ``list``), applied from there as a batch with its undo; skills
activated or deactivated many at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bulkpoc.batch.submit import load_result
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.store.listing import RecordFilter
from tests.test_api_apply import _wait
from tests.web import client_for, csrf_token, log_in, page, run_workers

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
POC, SKILL = RECORD_TYPES["poc"], RECORD_TYPES["skill"]


@pytest.fixture
def browser(store, settings, run) -> Iterator[TestClient]:
    assert run(SAMPLES / "new-pocs.csv").status.value == "succeeded"
    with client_for(store, settings) as client:  # with its job runner, for Apply this file
        yield log_in(client, store)


def phone_ids(store) -> list[int]:
    rows, _ = store.search_records(POC, RecordFilter(media_type="Phone Call"))
    return [row["id"] for row in rows]


def test_the_list_ticks_rows_and_offers_all_matching_its_filter(browser):
    html = page(browser.get("/pocs?media_type=Phone+Call").text)
    form = html.by_id("mass-edit")
    assert (form.attrs["method"], form.attrs["action"]) == ("get", "/pocs/mass-edit")
    ticks = [i for i in html.all("input") if i.attrs.get("name") == "ids"]
    assert len(ticks) == 4
    assert {t.attrs["form"] for t in ticks} == {"mass-edit"}
    assert "All 4 matching this filter" in form.text
    menu = [a.attrs["href"] for a in html.all("details")[0].all("a")]
    assert menu == ["/pocs/new", "/manage/poc"]


def test_a_mass_edit_of_all_matching_shows_its_plan_then_applies_as_one_batch(
    browser, store, settings
):
    chosen = page(browser.get("/pocs/mass-edit?all=1&media_type=Phone+Call&field=script").text)
    assert "All 4 points of contact" in chosen.by_id("selected").text
    values = [o.attrs["value"] for o in chosen.by_id("value").all("option")]
    assert values == ["After Hours IVR", "Main IVR"]  # the Phone Call scripts
    token = csrf_token(browser, "/pocs/mass-edit?all=1&media_type=Phone+Call&field=script")
    form = {"all": "1", "media_type": "Phone Call", "field": "script", "value": "After Hours IVR"}
    answer = browser.post("/pocs/mass-edit", data={**form, "csrftoken": token})
    assert answer.status_code == 303, answer.text
    preview = int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1])
    assert answer.headers["location"].endswith("?tab=changes")
    planned = load_result(store, preview)
    assert (planned.source, planned.dry_run, planned.counts.updated) == ("list", True, 3)
    assert {
        r["script"] for r in store.search_records(POC, RecordFilter(media_type="Phone Call"))[0]
    } == {
        "Main IVR",
        "After Hours IVR",
    }
    shown = browser.get(answer.headers["location"]).text
    tab = page(shown)
    assert tab.has_id("apply-form")
    assert "Apply this mass edit" in shown
    assert "Apply this file" not in shown
    applied = browser.post(
        f"/batches/{preview}/apply",
        data={"csrftoken": csrf_token(browser, f"/batches/{preview}")},
    )
    assert applied.status_code == 303
    applied_id = int(applied.headers["location"].rsplit("/", 1)[1])
    run_workers(store, settings)
    _wait(store, applied_id)
    result = load_result(store, applied_id)
    assert (result.source, result.counts.updated, result.status.value) == ("list", 3, "succeeded")
    rows, _ = store.search_records(POC, RecordFilter(media_type="Phone Call"))
    assert {row["script"] for row in rows} == {"After Hours IVR"}


def test_a_mass_edit_of_ticked_rows_changes_only_those(browser, store):
    ids = phone_ids(store)[:2]
    url = "/pocs/mass-edit?" + "&".join(f"ids={i}" for i in ids) + "&field=ivr_reporting_enabled"
    chosen = page(browser.get(url).text)
    assert "2 ticked points of contact" in chosen.by_id("selected").text
    data = {"ids": [str(i) for i in ids], "field": "ivr_reporting_enabled", "value": "N"}
    answer = browser.post("/pocs/mass-edit", data={**data, "csrftoken": csrf_token(browser, url)})
    assert answer.status_code == 303
    preview = int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1])
    changes, _total = store.batch_changes(preview)
    assert {c["record_key"] for c in changes} <= {str(i) for i in ids}
    assert {c["field"] for c in changes} == {"IVR Reporting Enabled"}


def test_nothing_ticked_is_one_sentence(browser):
    token = csrf_token(browser, "/pocs")
    answer = browser.post(
        "/pocs/mass-edit", data={"field": "active", "value": "N", "csrftoken": token}
    )
    assert answer.status_code == 400
    assert "Tick the points of contact to change first." in answer.text


def test_skills_are_deactivated_many_at_a_time(browser, store):
    skills, _ = store.search_records(SKILL, RecordFilter(media_type="Phone Call", active="yes"))
    html = page(browser.get("/skills/mass-edit").text)
    assert len([i for i in html.all("input") if i.attrs.get("name") == "ids"]) == 9
    data = {"ids": [str(s["id"]) for s in skills], "field": "active", "value": "N"}
    token = csrf_token(browser, "/skills/mass-edit")
    answer = browser.post("/skills/mass-edit", data={**data, "csrftoken": token})
    assert answer.status_code == 303
    preview = int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1])
    planned = load_result(store, preview)
    assert (planned.record_type, planned.counts.updated, planned.source) == ("skill", 2, "list")
