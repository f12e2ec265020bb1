"""A batch's changes in every result it has (issue 23, item 2): changes.csv in the report
folder, the HTML report, the results email and its attachment, and ``import --json``; all
rendered from the change records the batch wrote, never recomputed."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import insert

from bulkpoc.batch.submit import load_result
from bulkpoc.domain.changes import NAMED, joined
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.rowhash import SEPARATOR
from bulkpoc.output import changes, changes_csv, mail
from bulkpoc.output.changes_csv import KeptLines
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.conftest import poc, stored_pocs
from tests.test_report import parse_page

HEADERS = ["Row", "ID", "Name", "Field", "Before", "After"]
NOTIFY = ("ops@example.com",)


def read_changes(path: str | Path) -> list[list[str]]:
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def export_rows(store: Store) -> list[dict[str, str]]:
    """The stored POCs as rows to upload again, by id (the export's text for each field)."""
    return [
        poc(
            Point_of_Contact_ID=str(p["id"]),
            Name=p["name"],
            Point_of_Contact=p["address"],
        )
        for p in stored_pocs(store)
    ]


def mail_pocs(count: int) -> list[dict[str, str]]:
    """``count`` new Email POCs (the demo inventory has few phone numbers)."""
    return [
        poc(
            Name=f"Mailbox {n}",
            Media_Type="Email",
            Point_of_Contact=f"box{n}@example.com",
            Skill="Email Support",
            Script="Email Router",
        )
        for n in range(count)
    ]


@pytest.fixture
def created(run) -> BatchResult:
    """Two POCs created, with a results email."""
    result = run(
        [poc(Name="Sales Hotline"), poc(Name="Support Line", Point_of_Contact="+12025550101")],
        notify=NOTIFY,
    )
    assert result.status.value == "succeeded", result.errors
    return result


@pytest.fixture
def updated(run, created, store) -> BatchResult:
    """The two POCs again: the first renamed and moved to another skill, the second
    unchanged."""
    first, second = export_rows(store)
    first.update({"Name": "Sales Hotline (old)", "Skill": "Support Calls"})
    result = run([first, second], notify=NOTIFY)
    assert result.status.value == "succeeded", result.errors
    assert result.counts.updated == 1
    return result


# --- changes.csv ----------------------------------------------------------------------------


def test_changes_csv_of_a_create_has_one_line_per_record_with_its_values(created, store):
    assert created.reports.changes is not None
    path = Path(created.reports.changes)
    assert path.name == "changes.csv"
    assert path.parent == Path(created.reports.html).parent  # the batch's report folder
    ids = [str(p["id"]) for p in stored_pocs(store)]
    lines = read_changes(path)
    assert lines[0] == HEADERS
    assert [line[:4] for line in lines[1:]] == [
        ["2", ids[0], "Sales Hotline", "(created)"],
        ["3", ids[1], "Support Line", "(created)"],
    ]
    before, after = lines[1][4:]
    assert before == ""
    assert after.startswith("Name: Sales Hotline; Media Type: Phone Call; ")
    assert "Skill: Sales Calls" in after
    assert "Point of Contact: +12025550100" in after  # "Name: X; Skill: Y", not JSON


def test_changes_csv_of_an_update_has_one_line_per_changed_field(updated, store):
    poc_id = str(stored_pocs(store)[0]["id"])
    lines = read_changes(updated.reports.changes)
    assert lines[0] == HEADERS
    assert sorted(lines[1:]) == [
        ["2", poc_id, "Sales Hotline (old)", "Name", "Sales Hotline", "Sales Hotline (old)"],
        ["2", poc_id, "Sales Hotline (old)", "Skill", "Sales Calls", "Support Calls"],
    ]


def test_a_dry_run_writes_what_it_would_change_and_the_store_is_untouched(run, created, store):
    first, second = export_rows(store)
    first["Skill"] = "Support Calls"
    result = run([first, second], dry_run=True)
    assert result.dry_run
    assert not result.applied
    lines = read_changes(result.reports.changes)
    assert [line[3:] for line in lines[1:]] == [["Skill", "Sales Calls", "Support Calls"]]
    assert [p["name"] for p in stored_pocs(store)] == ["Sales Hotline", "Support Line"]


def test_a_batch_that_changed_nothing_has_no_changes_file(run, created, store):
    result = run(export_rows(store))
    assert result.counts.unchanged == 2
    assert result.reports.changes is None
    assert not (Path(result.reports.html).parent / "changes.csv").exists()


def test_changes_csv_puts_an_apostrophe_before_a_formula(run):
    result = run([poc(Name="=HYPERLINK(1)")])
    lines = read_changes(result.reports.changes)
    assert lines[1][2] == "'=HYPERLINK(1)"
    assert "Name: =HYPERLINK(1)" in lines[1][5]
    assert not lines[1][5].startswith("'")  # "Name: …" or "Point of Contact ID: …" is safe


def test_import_json_carries_the_summary_and_the_changes_path(updated, store):
    body = updated.model_dump(mode="json")
    assert body["reports"]["changes"] == updated.reports.changes
    assert body["changes"]["updated"] == 1
    assert {f["field"] for f in body["changes"]["fields"]} == {"Name", "Skill"}
    # The run history gives any process the same result, the changes file's path included.
    again = load_result(store, updated.batch_id)
    assert again.changes == updated.changes
    assert again.reports.changes == updated.reports.changes


def _add_changes(store: Store, batch_id: int, count: int) -> None:
    """``count`` created POCs' change rows of a batch, as apply writes them."""
    headers = joined(["Point of Contact ID", "Name", "Skill"])
    rows = [
        {
            "batch_id": batch_id,
            "row": 2 + n,
            "record_type": "poc",
            "record_key": None,
            "action": "created",
            "field": headers,
            "before": None,
            "after": SEPARATOR.join(["", f"Line {n}", "Sales Calls"]),
        }
        for n in range(count)
    ]
    with store.transaction() as connection:
        for start in range(0, count, 50_000):
            connection.execute(insert(schema.changes), rows[start : start + 50_000])


def test_changes_csv_is_written_a_chunk_at_a_time_in_bounded_memory(store, tmp_path):
    """The rows are read by id a chunk at a time: the memory a chunk takes, not the batch's."""
    _add_changes(store, 999, 60_000)
    pool = pa.default_memory_pool()
    arrow_before = pool.bytes_allocated()
    tracemalloc.start()
    with store.engine.connect() as connection:
        path = changes_csv.write_changes_file(connection, 999, tmp_path)
    peak = tracemalloc.get_traced_memory()[1]  # Python's objects: the rows fetched
    tracemalloc.stop()
    arrow_peak = pool.max_memory() - arrow_before  # Arrow's own (a high-water mark, at most)
    assert path is not None
    lines = read_changes(path)
    assert len(lines) == 60_001
    last = ["60001", "", "Line 59999", "(created)", "", "Name: Line 59999; Skill: Sales Calls"]
    assert lines[-1] == last
    assert peak < 20_000_000, f"writing changes.csv peaked at {peak:,} bytes"
    assert path.stat().st_size > 3_000_000
    if arrow_peak < 20_000_000:  # else an earlier test set the mark: it says nothing here
        assert pool.bytes_allocated() - arrow_before < 1_000_000  # nothing kept


def test_the_file_and_the_pages_show_the_same_lines_for_every_kind_of_change(store, tmp_path):
    """changes.csv (built by Arrow a column at a time) and the lines the report, the email and
    the web page show (built a line at a time) agree: created, updated, removed, a number,
    a formula, and a change row whose values cannot be read."""
    headers = joined(["Skill ID", "Name", "Media Type", "Active"])
    poc_id = str(stored_pocs(store)[0]["id"]) if stored_pocs(store) else None
    rows = [
        (2, "skill", "7", "created", headers, None, SEPARATOR.join(["7", "New", "Email", "Y"])),
        (3, "skill", "8", "removed", headers, SEPARATOR.join(["8", "=Old", "Chat", ""]), None),
        (4, "skill", None, "created", headers, None, SEPARATOR.join(["", "Dry", "Chat", "N"])),
        (5, "skill", "9", "removed", headers, "not cells", None),
        (6, "number", "+12025550100", "updated", "SMS", "N", "Y"),
        (7, "skill", "1", "updated", "Name", "Sales Calls", "+Sales"),
        (8, "poc", poc_id, "updated", "Active", "Y", "N"),
    ]
    keys = ("row", "record_type", "record_key", "action", "field", "before", "after")
    with store.transaction() as connection:
        connection.execute(
            insert(schema.changes),
            [{"batch_id": 77, **dict(zip(keys, r, strict=True))} for r in rows],
        )
    with store.engine.connect() as connection:
        path = changes_csv.write_changes_file(connection, 77, tmp_path)
        shown = list(changes.change_lines(connection, 77))
    assert path is not None
    safe = [["'" + c if c and c[0] in "=+-@'" else c for c in line.cells()] for line in shown]
    assert read_changes(path) == [HEADERS, *safe]
    assert [line.cells() for line in shown[:6]] == [
        ["2", "7", "New", "(created)", "", "Skill ID: 7; Name: New; Media Type: Email; Active: Y"],
        ["3", "8", "=Old", "(removed)", "Skill ID: 8; Name: =Old; Media Type: Chat", ""],
        ["4", "", "Dry", "(created)", "", "Name: Dry; Media Type: Chat; Active: N"],
        ["5", "9", "", "(removed)", "not cells", ""],
        ["6", "+12025550100", "+12025550100", "SMS", "N", "Y"],
        ["7", "1", "Sales Calls", "Name", "Sales Calls", "+Sales"],
    ]


def test_changes_csv_from_the_records_apply_kept_is_the_file_read_back_from_the_store(
    store, tmp_path
):
    """An import writes changes.csv from the change records it kept in memory (no second read
    of them): byte for byte the file made by reading them back, for every kind of change."""
    headers = joined(["Skill ID", "Name", "Media Type", "Active"])
    poc_id = str(stored_pocs(store)[0]["id"]) if stored_pocs(store) else None
    rows = [
        (2, "skill", "7", "created", headers, None, SEPARATOR.join(["7", "New", "Email", "Y"])),
        (3, "skill", "8", "removed", headers, SEPARATOR.join(["8", "=Old", "Chat", ""]), None),
        (4, "skill", None, "created", headers, None, SEPARATOR.join(["", "Dry", "Chat", "N"])),
        (5, "skill", "9", "removed", headers, "not cells", None),
        (6, "number", "+12025550100", "updated", "SMS", "N", "Y"),
        (7, "skill", "1", "updated", "Name", "Sales Calls", "+Sales"),
        (8, "poc", poc_id, "updated", "Active", "Y", "N"),
    ]
    keys = ("row", "record_type", "record_key", "action", "field", "before", "after")
    frame = pd.DataFrame([dict(zip(keys, r, strict=True)) for r in rows]).assign(batch_id=78)
    # Apply names each updated record as it wrote it, which is what the store then holds.
    poc_name = stored_pocs(store)[0]["name"] if poc_id else None
    frame[NAMED] = [None, None, None, None, None, "Sales Calls", poc_name]
    frames = [frame.iloc[:3], frame.iloc[3:]]  # two chunks, as apply makes them
    with store.transaction() as connection:
        connection.execute(
            insert(schema.changes),
            [{"batch_id": 78, **dict(zip(keys, r, strict=True))} for r in rows],
        )
    with store.engine.connect() as connection:
        (tmp_path / "kept").mkdir()
        with KeptLines() as lines:
            for chunk in frames:
                lines.add(chunk)
            kept = changes_csv.write_changes_file(connection, 78, tmp_path / "kept", lines)
        read = changes_csv.write_changes_file(connection, 78, tmp_path)
    assert kept is not None
    assert read is not None
    assert kept.read_bytes() == read.read_bytes()
    assert len(read_changes(kept)) == len(rows) + 1


def test_apply_keeps_its_change_lines_up_to_a_limit_then_none(updated, store):
    """Past the limit nothing more is held in memory: changes.csv is read back instead."""
    number = {
        "batch_id": 1,
        "record_type": "number",
        "record_key": "+12025550100",
        "action": "updated",
        "field": "SMS",
        "before": "N",
        "after": "Y",
        NAMED: None,
    }
    with KeptLines(limit=3) as kept:
        kept.add(pd.DataFrame([number | {"row": 2}, number | {"row": 3}]))
        pieces = kept.pieces()
        assert pieces is not None
        assert [lines for _piece, lines in pieces] == [2]
        line = pieces[0][0].decode().splitlines()[1]
        assert line.split(",") == [
            "2",
            '"\'+12025550100"',
            '"\'+12025550100"',
            '"SMS"',
            '"N"',
            '"Y"',
        ]
        kept.add(pd.DataFrame([number | {"row": 4}, number | {"row": 5}]))
        assert kept.pieces() is None
        kept.add(pd.DataFrame([number | {"row": 6}]))
        assert kept.pieces() is None
    # An import's file, whichever way it was made, is what the store holds.
    with store.engine.connect() as connection:
        buffer = io.BytesIO()
        changes_csv.write(connection, updated.batch_id, buffer)
    assert Path(updated.reports.changes).read_bytes() == buffer.getvalue()


# --- the HTML report ------------------------------------------------------------------------


def test_the_report_shows_the_summary_lines_and_the_first_changes(updated):
    text, tables = parse_page(Path(updated.reports.html).read_text(encoding="utf-8"))
    assert updated.changes is not None
    for line in updated.changes.lines():
        assert line in text
    assert "Skill: 1 row" in text
    assert "Skill Sales Calls -> Support Calls: 1" in text
    (shown,) = [table for table in tables if table and table[0] == HEADERS]
    assert {tuple(row[3:]) for row in shown[1:]} == {
        ("Name", "Sales Hotline", "Sales Hotline (old)"),
        ("Skill", "Sales Calls", "Support Calls"),
    }
    assert 'href="changes.csv"' in Path(updated.reports.html).read_text(encoding="utf-8")


def test_the_report_shows_at_most_the_first_twenty_changes(run):
    result = run(mail_pocs(25))
    assert result.counts.created == 25, result.errors
    text, tables = parse_page(Path(result.reports.html).read_text(encoding="utf-8"))
    (shown,) = [table for table in tables if table and table[0] == HEADERS]
    assert len(shown) == 1 + changes.FIRST_LINES
    assert "The first 20 of 25 changes." in text
    assert "Created: 25 records" in text


# --- the results email ----------------------------------------------------------------------


def _message(store: Store, result: BatchResult) -> email.message.EmailMessage:
    raw = mail.batch_email(store, result.batch_id)
    assert raw is not None
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_the_email_shows_the_summary_and_rows_and_attaches_changes_csv(updated, store):
    message = _message(store, updated)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    html_text, tables = parse_page(html)
    assert updated.changes is not None
    for line in updated.changes.lines():
        assert line in text
        assert line in html_text
    assert "Skill | Sales Calls | Support Calls" in text
    (shown,) = [table for table in tables if table and table[0] == HEADERS]
    assert len(shown) == 3
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "changes.csv"
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_payload(decode=True) == Path(updated.reports.changes).read_bytes()
    assert "The attached changes.csv holds every change" in text


def test_the_email_attaches_the_error_file_and_changes_csv(run, store):
    bad = poc(Name="Bad", Skill="Nope", Point_of_Contact="+12025550101")
    result = run([poc(Name="Good Line"), bad], notify=NOTIFY)
    names = [part.get_filename() for part in _message(store, result).iter_attachments()]
    assert names == ["upload-0-errors.csv", "changes.csv"]


def test_a_large_changes_csv_is_attached_zipped(run, store, settings):
    result = run(mail_pocs(40))
    path = Path(result.reports.changes or "")
    size = path.stat().st_size
    small = settings.model_copy(update={"mail_attachment_max_bytes": size - 1})
    message = mail.build_email(result, small, ["ops@example.com"], None)
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "changes.zip"
    assert attachment.get_content_type() == "application/zip"
    with zipfile.ZipFile(io.BytesIO(attachment.get_payload(decode=True))) as archive:
        assert archive.read("changes.csv") == path.read_bytes()
    assert "changes.csv" in message.get_body(("plain",)).get_content()
    assert "attached compressed, as changes.zip" in message.get_body(("plain",)).get_content()


def test_a_changes_csv_too_large_even_zipped_is_not_attached_and_the_email_says_where(
    run, store, settings
):
    result = run([poc(Name="Line")])
    tiny = settings.model_copy(update={"mail_attachment_max_bytes": 10})
    message = mail.build_email(result, tiny, ["ops@example.com"], None)
    assert list(message.iter_attachments()) == []
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "changes.csv" in text
    assert "is too large to attach, even compressed" in text
    assert f"/batches/{result.batch_id}?tab=changes" in text
    assert not Path(result.reports.changes or "").with_suffix(".zip").exists()
