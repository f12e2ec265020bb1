"""The web upload's mapping step (issue 25 #3, #4), without JavaScript: a partner's file whose
header row does not fit is not refused; the person maps its columns (guessed by names and
values), its value spellings and constants, sees the first rows as they will be read, saves the
mapping and imports; the next file with the same headers is read through it at once. On SQLite
and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.services import mapping_step
from bulkpoc.store.db import Store
from bulkpoc.store.held_uploads import PER_USER
from tests.conftest import stored_pocs, workbook_bytes
from tests.test_web_manage import batch_of, finish, upload
from tests.web import client_for, log_in, page

PARTNER = (
    b"Queue Label,Phone Number,Queue,Routing Script,Channel\n"
    b"Partner Sales,+1 202 555 0110,Sales Calls,Main IVR,Voice\n"
    b"Partner Texts,+1 415 555 0201,SMS Support,SMS Router,Text\n"
)
# The same headers, other rows: the next file from the same partner.
NEXT = (
    b"Queue Label,Phone Number,Queue,Routing Script,Channel\n"
    b"Partner Support,+1 202 555 0111,Support Calls,Main IVR,Voice\n"
)
STEP = re.compile(r"/manage/poc/mapping/([A-Za-z0-9_-]+)")


@pytest.fixture
def browser(store: Store, settings: Settings) -> Iterator[TestClient]:
    with client_for(store, settings) as client:
        yield log_in(client, store)


def step_of(response) -> str:
    """The mapping step's address an upload went to."""
    assert response.status_code == 303, response.text
    assert STEP.fullmatch(response.headers["location"]), response.headers["location"]
    return response.headers["location"]


def fields_of(html: str) -> dict[str, str]:
    """What the step's form sends as it is shown: selected options, inputs' values."""
    form = page(html).all("form", "mapping-step")[0]
    sent: dict[str, str] = {}
    for element in form.all("input"):
        if element.attrs.get("name"):
            sent[element.attrs["name"]] = element.attrs.get("value", "")
    for select in form.all("select"):
        chosen = [o for o in select.all("option") if "selected" in o.attrs]
        sent[select.attrs["name"]] = chosen[0].attrs["value"] if chosen else ""
    return sent


def column(html: str, ours: str) -> str:
    """The choice the step shows for our column ``ours``: the file header, or its other text."""
    for row in page(html).all("div", "mapping-row"):
        if row.all("label")[0].text.removesuffix(" (required)") == ours:
            chosen = [o for o in row.all("option") if "selected" in o.attrs]
            return chosen[0].text
    raise AssertionError(f"no row for {ours}")


def preview(html: str) -> list[dict[str, str]]:
    table = page(html).by_id("mapping-preview")
    headers = [th.text for th in table.all("thead")[0].all("th")][1:]
    rows = table.all("tbody")[0].all("tr")
    return [dict(zip(headers, [td.text for td in row.all("td")], strict=True)) for row in rows]


def index_of(html: str, ours: str) -> str:
    for row in page(html).all("div", "mapping-row"):
        if row.all("label")[0].text.removesuffix(" (required)") == ours:
            return row.all("select")[0].attrs["name"].removeprefix("col-")
    raise AssertionError(ours)


def test_a_partners_file_goes_to_the_mapping_step_with_guesses_and_a_preview(
    browser: TestClient, store: Store
) -> None:
    batches = store.count_history(source="web")
    step = step_of(upload(browser, PARTNER, "partner.csv"))
    assert store.count_history(source="web") == batches  # nothing recorded, nothing failed
    html = browser.get(step).text
    assert page(html).all("h1")[0].text == "Map the columns of partner.csv"
    assert column(html, "Point of Contact") == "Phone Number"
    assert column(html, "Skill") == "Queue"
    assert column(html, "Script") == "Routing Script"
    assert column(html, "Media Type") == "Channel"
    assert column(html, "Name") == "Queue Label"
    assert column(html, "Chat Profile") == "Not in this file"
    shown = preview(html)
    assert [row["Media Type"] for row in shown] == ["Phone Call", "SMS"]  # Voice, Text respelt
    assert shown[0]["Point of Contact"] == "+1 202 555 0110"
    assert shown[0]["Skill"] == "Sales Calls"


def test_choices_a_constant_and_a_spelling_post_back_and_import(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    step = step_of(upload(browser, PARTNER, "partner.csv", all_or_nothing="1", max_failed="5"))
    html = browser.get(step).text
    sent = fields_of(html)
    active = index_of(html, "Active")
    sent |= {f"col-{active}": "const", f"const-{active}": "N"}
    media = index_of(html, "Media Type")
    spelt = {sent[f"sp-{media}-{j}-from"]: j for j in range(2)}
    sent[f"sp-{media}-{spelt['Voice']}"] = "SMS"  # the person's own spelling wins
    shown = browser.post(step, data=sent | {"action": "preview"})
    assert shown.status_code == 200, shown.text
    rows = preview(shown.text)
    assert [row["Active"] for row in rows] == ["N", "N"]
    assert rows[0]["Media Type"] == "SMS"
    sent[f"sp-{media}-{spelt['Voice']}"] = "Phone Call"
    sent[f"col-{active}"], sent[f"const-{active}"] = "const", "Y"
    batch_id = batch_of(browser.post(step, data=sent | {"action": "import"}))
    batch = finish(store, settings, batch_id)
    assert batch["status"] == "succeeded", (batch["failure"], store.batch_errors(batch_id))
    options = ImportOptions.from_recorded(batch["options"])
    assert options.all_or_nothing
    assert options.mapping
    assert options.mapping_name is None
    made = {p["name"]: p for p in stored_pocs(store)}
    assert made["Partner Sales"]["media_type"] == "Phone Call"
    assert made["Partner Texts"]["media_type"] == "SMS"
    results = page(browser.get(f"/batches/{batch_id}").text)
    assert "mapping step" in results.by_id("mapping-used").text
    report = browser.get(f"/batches/{batch_id}/report.html").text
    assert "chosen at the upload&#39;s mapping step" in report


def test_save_as_stores_the_mapping_and_the_next_file_is_mapped_at_once(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    step = step_of(upload(browser, PARTNER, "partner.csv"))
    sent = fields_of(browser.get(step).text)
    saved = browser.post(step, data=sent | {"action": "save", "save_name": "acme"})
    assert saved.status_code == 200, saved.text
    assert "Saved as “acme”" in page(saved.text).by_id("mapping-saved").text
    mapping = store.get_mapping("acme").mapping
    assert mapping.columns["Point of Contact"] == "Phone Number"
    assert mapping.values["Media Type"] == {"Voice": "Phone Call", "Text": "SMS"}
    assert mapping.headers[0] == "Queue Label"
    first = batch_of(browser.post(step, data=fields_of(saved.text) | {"action": "import"}))
    assert finish(store, settings, first)["options"]["mapping_name"] == "acme"

    second = batch_of(upload(browser, NEXT, "partner-2.csv"))  # no step: mapped at once
    batch = finish(store, settings, second)
    assert batch["status"] == "succeeded", batch
    assert batch["options"]["mapping_name"] == "acme"
    results = page(browser.get(f"/batches/{second}").text)
    assert "“acme”" in results.by_id("mapping-used").text
    assert "Partner Support" in {p["name"] for p in stored_pocs(store)}


def test_a_required_column_still_missing_says_so_beside_its_field(
    browser: TestClient, store: Store
) -> None:
    step = step_of(upload(browser, PARTNER, "partner.csv"))
    html = browser.get(step).text
    sent = fields_of(html) | {f"col-{index_of(html, 'Skill')}": ""}
    batches = store.count_history()
    refused = browser.post(step, data=sent | {"action": "import"})
    assert refused.status_code == 400
    at = index_of(refused.text, "Skill")
    assert page(refused.text).by_id(f"col-{at}-error").text == (
        "Skill is required: choose the file's column that holds it, or a value for every row."
    )
    assert "1 column needs a choice" in page(refused.text).by_id("mapping-error").text
    assert store.count_history() == batches
    saving = browser.post(step, data=sent | {"action": "save", "save_name": "half"})
    assert saving.status_code == 400
    assert store.find_mapping("half") is None


def test_a_mapped_files_results_keep_the_partners_headers(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    broken = PARTNER.replace(b"Sales Calls", b"Sales Cals").replace(b"Main IVR", b"No Such IVR")
    step = step_of(upload(browser, broken, "partner.csv"))
    html = browser.get(step).text
    sent = fields_of(html)
    skill = index_of(html, "Skill")
    sent |= {k: "" for k in sent if k.startswith(f"sp-{skill}-") and not k.endswith("-from")}
    batch = finish(store, settings, batch_of(browser.post(step, data=sent | {"action": "import"})))
    assert batch["status"] == "completed_with_errors", batch
    results = browser.get(f"/batches/{batch['id']}").text
    assert "Routing Script" in results
    assert "Queue" in results
    errors = browser.get(f"/batches/{batch['id']}/errors").text
    assert errors.splitlines()[0].lstrip("\ufeff").startswith("Queue Label,Phone Number,Queue,")


def test_a_file_that_fits_goes_straight_to_its_batch(browser: TestClient) -> None:
    batch_of(upload(browser, b"Name,Media Type,Point of Contact,Skill,Script\n", "ours.csv"))


def test_the_step_is_the_uploaders_own_and_bounded(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    step = step_of(upload(browser, PARTNER, "partner.csv"))
    store.add_user("other", ["Points of Contact Create"])
    with client_for(store, settings) as other:
        log_in(other, store, "other")
        assert other.get(step).status_code == 404
    assert browser.get(step.replace("/poc/", "/skill/")).status_code == 404
    for _ in range(PER_USER):
        step_of(upload(browser, PARTNER, "partner.csv"))
    gone = browser.get(step)
    assert gone.status_code == 404
    assert "upload the file again" in gone.text


def test_a_partners_spreadsheet_goes_through_the_step_too(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    book = openpyxl.Workbook()
    for line in PARTNER.decode().splitlines():
        book.active.append(line.split(","))
    sent = upload(browser, workbook_bytes(book), "partner.xlsx", file_type="xlsx")
    step = step_of(sent)
    html = browser.get(step).text
    assert column(html, "Point of Contact") == "Phone Number"
    batch_id = batch_of(browser.post(step, data=fields_of(html) | {"action": "import"}))
    assert finish(store, settings, batch_id)["status"] == "succeeded"


def test_a_large_partner_file_is_peeked_at_for_the_step_and_imported_whole(
    browser: TestClient, store: Store, settings: Settings
) -> None:
    """The request reads only a large CSV's first megabyte to show the step; the batch reads
    every row, through the mapping."""
    rows = 25_000
    content = b"Queue Label,Mailbox,Queue,Routing Script,Channel\n" + b"".join(
        b"Partner Mail %05d,mail%05d@example.com,Email Support,Email Router,E-mail\n" % (i, i)
        for i in range(rows)
    )
    assert len(content) > mapping_step.PEEK_BYTES
    peeked = mapping_step._peek(content, ImportOptions())
    assert 0 < len(peeked.data) < rows  # the step read the head only
    step = step_of(upload(browser, content, "partner-large.csv"))
    html = browser.get(step).text
    assert column(html, "Point of Contact") == "Mailbox"
    assert preview(html)[0]["Media Type"] == "Email"  # "E-mail", respelt
    batch_id = batch_of(browser.post(step, data=fields_of(html) | {"action": "import"}))
    batch = finish(store, settings, batch_id)
    assert batch["status"] == "succeeded", (batch["failure"], store.batch_errors(batch_id)[:3])
    assert batch["created"] == rows
