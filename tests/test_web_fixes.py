"""Fixing failed rows on the results page, without JavaScript (issue 25): the failed cells are
inputs of one form, each error group offers its fix with the did-you-mean names as buttons,
and a fix is a batch whose page shows what still fails, through the app and its job layer on
both stores."""

from __future__ import annotations

import pytest

from bulkpoc.domain.permissions import SKILLS_EDIT
from tests.conftest import fixable_batch, poc, stored_pocs
from tests.web import client_for, csrf_token, log_in, page, pressed


@pytest.fixture
def browser(store, settings):
    with client_for(store, settings) as client:
        yield log_in(client, store)


@pytest.fixture
def failed(run):
    return fixable_batch(run)


def form_fields(form) -> dict[str, str]:
    """What a browser sends for ``form`` without pressing a named button."""
    return {
        i.attrs["name"]: i.attrs.get("value", "")
        for i in form.all("input")
        if i.attrs.get("name") and i.attrs.get("type") in ("text", "hidden")
    }


def test_each_failed_cell_is_an_input_of_one_form_holding_its_value(browser, failed):
    html = page(browser.get(f"/batches/{failed.batch_id}").text)

    form = html.by_id("fix-form")
    assert (form.attrs["method"], form.attrs["action"]) == (
        "post",
        f"/batches/{failed.batch_id}/fixes",
    )
    skill = html.by_id("row-3").all("td", "failed-cell")[0]
    (field,) = skill.all("input", "fix-input")
    assert (field.attrs["name"], field.attrs["value"]) == ("cell:3:Skill", "Sales Cals")
    assert field.attrs["aria-describedby"] == "messages-3"
    assert skill.all("label")[0].text == "Row 3, Skill"
    # Cells that did not fail stay text.
    assert html.by_id("row-3").all("td")[0].all("input") == []
    assert html.by_id("submit-fixes").text == "Submit fixes"


def test_submitting_a_fixed_cell_runs_every_failed_row_and_shows_what_still_fails(
    browser, store, settings, failed
):
    html = page(browser.get(f"/batches/{failed.batch_id}").text)
    fields = form_fields(html.by_id("fix-form")) | {"cell:3:Skill": "Sales Calls"}

    fix = pressed(browser, store, settings, f"/batches/{failed.batch_id}/fixes", **fields)

    result = page(browser.get(f"/batches/{fix}").text)
    assert f"fixes the failed rows of batch {failed.batch_id}" in result.by_id("fixes").text
    assert [row.attrs["id"] for row in result.all("tr", "failed-row")] == ["row-4", "row-5"]
    assert result.by_id("fix-form")  # and it can be fixed again: the loop
    assert sorted(p["name"] for p in stored_pocs(store)) == ["Line A", "Line B"]
    fixed = page(browser.get(f"/batches/{failed.batch_id}").text)
    assert fixed.all("li", "fixed-by")[0].text == f"Fixed by batch {fix} ."


def test_an_error_group_offers_its_fix_and_the_suggestion_is_one_click(
    browser, store, settings, failed
):
    html = page(browser.get(f"/batches/{failed.batch_id}").text)
    groups = html.by_id("group-fixes").all("li", "group-fix")
    first = groups[0]
    assert first.all("p", "group-headline")[0].text == "2 rows: Skill 'Sales Cals' does not exist"
    (use,) = first.all("button", "suggestion")
    assert (use.attrs["name"], use.attrs["value"], use.text) == (
        "group_use",
        "Sales Calls",
        "Use 'Sales Calls' for all 2",
    )

    fields = form_fields(first) | {"group_use": "Sales Calls"}
    fix = pressed(browser, store, settings, f"/batches/{failed.batch_id}/fixes", **fields)

    assert store.failed_row_numbers(fix) == [4]
    assert sorted(p["name"] for p in stored_pocs(store)) == ["Line A", "Line B", "Line D"]


def test_a_refused_fix_says_why_and_runs_nothing(browser, store, failed):
    before = store.count_history()
    token = csrf_token(browser, "/history")
    action = f"/batches/{failed.batch_id}/fixes"

    not_failed = browser.post(action, data={"csrftoken": token, "cell:2:Skill": "x"})
    no_column = browser.post(action, data={"csrftoken": token, "cell:3:Colour": "x"})

    assert not_failed.status_code == no_column.status_code == 422
    assert "Row 2 of batch" in not_failed.text
    assert "did not fail" in not_failed.text
    assert "has no column &#39;Colour&#39;" in no_column.text
    assert store.count_history() == before


def test_a_batch_without_failed_rows_offers_no_fix_and_refuses_one(browser, run):
    fine = run([poc()])
    html = page(browser.get(f"/batches/{fine.batch_id}").text)
    assert not html.has_id("fix-form")
    assert not html.has_id("group-fixes")

    answer = browser.post(
        f"/batches/{fine.batch_id}/fixes", data={"csrftoken": csrf_token(browser, "/history")}
    )
    assert answer.status_code == 409
    assert "has no failed rows: there is nothing to fix" in answer.text


def test_only_users_who_may_upload_the_record_type_see_the_inputs(store, settings, run):
    result = run([poc(Name="Bad", Point_of_Contact="12")], record_type="poc")
    store.add_user("viewer", [SKILLS_EDIT])
    with client_for(store, settings) as client:
        log_in(client, store, "viewer")
        refused = client.post(
            f"/batches/{result.batch_id}/fixes",
            data={"csrftoken": csrf_token(client, "/history")},
        )
    assert refused.status_code == 403
