"""Stop when too much fails (issue 24, item 6): above a limit of failed rows, a count or a
percentage, nothing is applied and the result says why in one sentence; under it, the rows
that pass are applied. The same limit from the CLI, the upload form, the API and a schedule."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest

from bulkpoc.domain.limits import FailureLimit, normalised
from bulkpoc.domain.schedule import BadSchedule, Schedule
from bulkpoc.jobs.queue import InProcessQueue
from bulkpoc.schedules.runner import run_due
from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store, utcnow
from tests.cli import Bulkpoc
from tests.conftest import stored_pocs, write_rows
from tests.mailserver import HOST, smtp_server
from tests.test_inbox import listing, scheduled, work_item
from tests.test_web_manage import batch_of, finish, upload
from tests.web import api_client, client_for, log_in, page

# Four rows: one that passes, three whose skill does not exist.
ROWS = [work_item("Queue A")] + [work_item(f"Bad {n}") | {"Skill": "Nope"} for n in (1, 2, 3)]
ABOVE = "Nothing was applied: 3 of 4 rows failed (75%), above this {whose} limit of {limit}."


def content(tmp_path: Path) -> bytes:
    return write_rows(tmp_path / "partner.csv", ROWS).read_bytes()


def names(store: Store) -> set[str]:
    return {row["name"] for row in stored_pocs(store)}


# --- the limit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "failed", "total", "above"),
    [
        ("2", 2, 4, False),
        ("2", 3, 4, True),
        ("0", 1, 1_000, True),
        ("5%", 50, 1_000, False),
        ("5%", 51, 1_000, True),
        ("2.5 %", 26, 1_000, True),
        ("0%", 0, 0, False),
        ("100%", 10, 10, False),
    ],
)
def test_a_limit_is_a_count_or_a_share_and_only_above_it_stops(written, failed, total, above):
    assert FailureLimit.parse(written).exceeded(failed, total) is above


def test_the_share_shown_reads_as_above_the_limit():
    assert FailureLimit.parse("5%").share(412, 1_000) == "41%"
    assert FailureLimit.parse("5%").share(504, 10_000) == "5.04%"  # not "5%", above 5%
    assert FailureLimit.parse("10").share(1, 3) == "33%"
    assert FailureLimit.parse("1").described() == "1 failed row"
    assert FailureLimit.parse("1000").described() == "1,000 failed rows"


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("ten", "'ten' is not a limit of failed rows: write a number of rows such as 10, or a "),
        ("-1", "'-1' is not a limit of failed rows"),
        ("2.5", "'2.5' is not a limit of failed rows"),
        ("120%", "'120%' is not a share of the rows: write a percentage from 0% to 100%"),
        ("nan%", "'nan%' is not a limit of failed rows"),
        ("1e3", "'1e3' is not a limit of failed rows"),
    ],
)
def test_a_limit_that_is_neither_is_one_sentence(written, says):
    with pytest.raises(ValueError, match="^" + says.replace("(", r"\(").replace("%", "%")):
        normalised(written)
    assert normalised(" ") is None


# --- where it is chosen ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "shown"), [("2", "2 failed rows"), ("50%", "50%")], ids=["count", "percentage"]
)
def test_import_above_the_limit_applies_nothing_and_says_why(tmp_path, monkeypatch, limit, shown):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BULKPOC_REPORT_DIR", str(tmp_path / "reports"))
    bulkpoc = Bulkpoc(tmp_path)
    assert bulkpoc("init", "--demo").exit_code == 0
    path = write_rows(tmp_path / "partner.csv", ROWS)
    code, stopped = bulkpoc.json("import", path, "--max-failed", limit)
    sentence = ABOVE.format(whose="upload's", limit=shown)
    assert (code, stopped["failure"], stopped["failure_code"]) == (3, sentence, "too_many_failed")
    assert stopped["counts"]["failed"] == 3
    store = bulkpoc.store()
    assert "Queue A" not in names(store)
    report = Path(stopped["reports"]["html"]).read_text(encoding="utf-8")
    assert sentence in html.unescape(report)

    under = bulkpoc("import", path, "--max-failed", "75%", "--json")
    assert under.exit_code == 1, under.output  # completed with errors: the good row applied
    assert "Queue A" in names(store)

    refused = bulkpoc("import", path, "--max-failed", "lots")
    assert refused.exit_code == 2
    assert "'lots' is not a limit of failed rows" in refused.stderr


def test_the_api_takes_max_failed(store, settings, tmp_path):
    with api_client(store, settings, create_token(store, "crm", "admin")) as api:

        def sent(**options: str):
            return api.post(
                "/api/v1/batches", files={"file": ("partner.csv", content(tmp_path))}, data=options
            )

        bad = sent(max_failed="most")
        assert (bad.status_code, bad.json()["detail"]) == (
            422,
            "The form field 'max_failed' is not valid: 'most' is not a limit of failed rows: "
            "write a number of rows such as 10, or a percentage of the file's rows such as 5%.",
        )
        stopped = sent(max_failed="2")
        assert stopped.status_code == 202, stopped.text
        batch_id = stopped.json()["batch_id"]
        finish(store, settings, batch_id)
        result = api.get(f"/api/v1/batches/{batch_id}").json()
        assert (result["status"], result["failure_code"]) == ("failed", "too_many_failed")
        assert result["failure"] == ABOVE.format(whose="upload's", limit="2 failed rows")
        assert result["options"]["max_failed"] == "2"
        assert "Queue A" not in names(store)
        applied = sent(max_failed="3")
        finish(store, settings, applied.json()["batch_id"])
    assert "Queue A" in names(store)


def test_the_upload_form_takes_max_failed(store, settings, tmp_path):
    with client_for(store, settings) as browser:
        log_in(browser, store)
        assert page(browser.get("/manage/poc").text).has_id("max_failed")
        wrong = upload(browser, content(tmp_path), "partner.csv", max_failed="5 rows")
        assert wrong.status_code == 400
        assert (
            "'5 rows' is not a limit of failed rows" in page(wrong.text).by_id("upload-error").text
        )
        assert 'value="5 rows"' in wrong.text  # kept for the user to fix
        batch_id = batch_of(upload(browser, content(tmp_path), "partner.csv", max_failed="50%"))
        assert finish(store, settings, batch_id)["status"] == "failed"
        shown = page(browser.get(f"/batches/{batch_id}").text).text
    assert ABOVE.format(whose="upload's", limit="50%") in shown
    assert "Queue A" not in names(store)


def test_a_schedule_above_its_limit_applies_nothing_and_its_email_says_why(
    store, settings, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_rows(inbox / "partner.csv", ROWS)
    with pytest.raises(BadSchedule, match="'7x' is not a limit of failed rows"):
        store.add_schedule(Schedule("bad", "* * * * *", "UTC", str(inbox), max_failed="7x"))
    store.add_schedule(
        Schedule(
            name="partner",
            cron="* * * * *",
            timezone="UTC",
            inbox=str(inbox),
            max_failed="10%",
            recipients=("ops@example.com",),
        )
    )
    with smtp_server() as server:
        mailing = settings.model_copy(
            update={"smtp_host": HOST, "smtp_port": server.port, "inbox_settle_seconds": 0}
        )
        run_due(store, mailing, InProcessQueue(store, mailing), utcnow() + dt.timedelta(minutes=2))
    (batch,) = scheduled(store).values()
    sentence = ABOVE.format(whose="schedule's", limit="10%")
    assert (batch["status"], batch["failure"]) == ("failed", sentence)
    assert listing(inbox / "failed") == [f"{batch['id']}-partner.csv"]
    assert "Queue A" not in names(store)
    (message,) = server.messages()
    assert "Failed" in message["Subject"]
    assert sentence in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
