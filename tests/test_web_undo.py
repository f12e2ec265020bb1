"""Undo this batch on the web (issue 23, item 5), through the app and its job layer on both
stores: the button on an applied batch's page submits the undo's dry run, whose page offers
to run it; what cannot be undone answers one sentence."""

from __future__ import annotations

import re

import pytest

from tests.conftest import poc, stored_pocs
from tests.web import client_for, csrf_token, log_in, page, pressed


@pytest.fixture
def browser(store, settings):
    with client_for(store, settings) as client:
        yield log_in(client, store)


def test_the_button_runs_the_dry_run_then_the_undo(browser, store, settings, run):
    batch = run([poc()])
    shown = page(browser.get(f"/batches/{batch.batch_id}").text)
    (form,) = shown.all("form", "undo")
    assert form.attrs["action"] == f"/batches/{batch.batch_id}/undo"

    dry = pressed(browser, store, settings, form.attrs["action"], dry_run="1")
    dry_page = page(browser.get(f"/batches/{dry}").text)
    assert dry_page.by_id("reverts").text == f"This batch would undo batch {batch.batch_id} ."
    (run_form,) = dry_page.all("form", "undo")
    assert "Run this undo" in run_form.text
    assert len(stored_pocs(store)) == 1

    undo = pressed(browser, store, settings, run_form.attrs["action"])
    assert stored_pocs(store) == []
    undone = page(browser.get(f"/batches/{batch.batch_id}").text)
    assert re.sub(r"\s+", " ", undone.by_id("reverted-by").text) == f"Reverted by batch {undo} ."
    assert undone.all("form", "undo") == []

    again = browser.post(
        f"/batches/{batch.batch_id}/undo",
        data={"csrftoken": csrf_token(browser, "/history")},
    )
    assert again.status_code == 409
    assert f"was already undone by batch {undo}" in again.text
