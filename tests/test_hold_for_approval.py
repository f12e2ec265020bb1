"""Hold for approval (issue 24, item 6): a held schedule's file runs as a dry run, its
recipients get the plan by email with a link to the batch's page, the run history says it
awaits approval, and a person with the permission applies it from that page, leaving rows out.
The scheduler's own pass, a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from bulkpoc.batch.submit import load_result
from bulkpoc.domain.schedule import Schedule
from bulkpoc.jobs.queue import InProcessQueue
from bulkpoc.schedules.runner import run_due
from bulkpoc.store.db import Store, utcnow
from tests.cli import Bulkpoc
from tests.conftest import poc, stored_pocs, write_rows
from tests.mailserver import HOST, smtp_server
from tests.test_inbox import listing, scheduled, work_item
from tests.test_web_manage import batch_of, finish
from tests.web import client_for, csrf_token, log_in, page

PUBLIC_URL = "https://bulkpoc.example.com/tools"


def names(store: Store) -> set[str]:
    return {row["name"] for row in stored_pocs(store)}


def test_a_held_file_is_emailed_as_a_plan_with_a_link_and_applied_after_review(
    store, settings, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = [work_item("Queue A"), work_item("Queue B"), poc(Name="Bad", Skill="Nope")]
    write_rows(inbox / "partner.csv", rows)  # rows 2, 3 and 4 (which fails)
    store.add_schedule(
        Schedule(
            name="partner",
            cron="* * * * *",
            timezone="UTC",
            inbox=str(inbox),
            hold_for_approval=True,
            recipients=("ops@example.com",),
        )
    )
    with smtp_server() as server:
        mailing = settings.model_copy(
            update={
                "smtp_host": HOST,
                "smtp_port": server.port,
                "inbox_settle_seconds": 0,
                "public_url": PUBLIC_URL,
            }
        )
        run_due(store, mailing, InProcessQueue(store, mailing), utcnow() + dt.timedelta(minutes=2))

    (held,) = scheduled(store).values()
    held_id = held["id"]
    assert held["status"] == "completed_with_errors"
    assert (held["options"]["dry_run"], held["options"]["hold_for_approval"]) == (True, True)
    assert names(store) & {"Queue A", "Queue B"} == set()  # nothing applied yet
    assert listing(inbox / "processed") == [f"{held_id}-partner.csv"]
    assert store.awaiting_approval([held]) == {held_id}

    (message,) = server.messages()
    assert message["Subject"].startswith("[bulkpoc] Awaiting approval (dry run): partner.csv")
    plain = message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert f"apply it from its page:\n{PUBLIC_URL}/batches/{held_id}\n" in text
    assert "Changes this batch would make" in text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'<a href="{PUBLIC_URL}/batches/{held_id}">its page</a>' in html

    with client_for(store, mailing) as browser:
        log_in(browser, store)
        history = page(browser.get("/history").text)
        row = next(r for r in history.all("tr") if r.attrs.get("data-batch") == str(held_id))
        assert "Awaiting approval" in row.text
        preview = page(browser.get(f"/batches/{held_id}").text)
        assert "Awaiting approval." in preview.by_id("awaiting-approval").text
        assert preview.has_id("apply-form")
        applying = browser.post(
            f"/batches/{held_id}/apply",
            data={"exclude_rows": "3", "csrftoken": csrf_token(browser, f"/batches/{held_id}")},
        )
        applied_id = batch_of(applying)
        assert finish(store, mailing, applied_id)["status"] == "completed_with_errors"
        after = page(browser.get("/history").text)
        row = next(r for r in after.all("tr") if r.attrs.get("data-batch") == str(held_id))
        assert "Awaiting approval" not in row.text
        assert not page(browser.get(f"/batches/{held_id}").text).has_id("awaiting-approval")

    applied = load_result(store, applied_id)
    assert (applied.preview_of, applied.counts.created, applied.counts.skipped) == (held_id, 1, 1)
    assert not applied.options["hold_for_approval"]
    assert "Queue A" in names(store)
    assert "Queue B" not in names(store)
    assert store.awaiting_approval(store.history()) == set()


def test_the_cli_adds_edits_and_lists_both_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bulkpoc = Bulkpoc(tmp_path)
    assert bulkpoc("init").exit_code == 0
    added = bulkpoc(
        "schedule", "add", "partner", "--cron", "0 2 * * *", "--inbox", "in", "--hold",
        "--max-failed", "5 %",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "; each file is held for approval as a dry run; next run " in added.stdout
    [listed] = json.loads(bulkpoc("schedule", "list", "--json").stdout)
    assert (listed["max_failed"], listed["hold_for_approval"]) == ("5%", True)
    assert "all rows, stop above 5%, held for approval" in bulkpoc("schedule", "list").stdout

    edited = bulkpoc("schedule", "edit", "partner", "--max-failed", "10", "--no-hold")
    assert edited.exit_code == 0, edited.output
    assert edited.stdout.startswith(
        "Schedule 'partner' changed: all rows, stop above 10 failed rows; next run "
    )
    [listed] = json.loads(bulkpoc("schedule", "list", "--json").stdout)
    assert (listed["max_failed"], listed["hold_for_approval"], listed["cron"]) == (
        "10",
        False,
        "0 2 * * *",
    )
    cleared = bulkpoc("schedule", "edit", "partner", "--max-failed", "none", "--hold")
    assert cleared.stdout.startswith("Schedule 'partner' changed: all rows, held for approval;")

    wrong = bulkpoc("schedule", "edit", "partner", "--max-failed", "half")
    assert wrong.exit_code == 2
    assert "'half' is not a limit of failed rows" in wrong.stderr
    missing = bulkpoc("schedule", "edit", "nightly", "--hold")
    assert (missing.exit_code, missing.stderr) == (
        2,
        "Error: There is no schedule named 'nightly'; `bulkpoc schedule list` shows them.\n",
    )
    nothing = bulkpoc("schedule", "edit", "partner")
    assert (nothing.exit_code, nothing.stderr) == (
        2,
        "Error: Nothing to change: give at least one option (see --help).\n",
    )
