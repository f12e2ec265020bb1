"""Inbox semantics: each new file is one batch, filed by its outcome; nothing twice, nothing
half-written."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

import pytest

from bulkpoc.batch.submit import submit
from bulkpoc.config import Settings
from bulkpoc.domain.schedule import Schedule
from bulkpoc.domain.status import BatchStatus
from bulkpoc.jobs.queue import InProcessQueue, LocalQueue, queue_for
from bulkpoc.jobs.tasks import file_away, run_batch
from bulkpoc.schedules.inbox import process_inbox
from bulkpoc.schedules.runner import run_due
from bulkpoc.store.db import Store, utcnow
from tests.archives import ods_bytes
from tests.conftest import POC_HEADERS, on_postgres, poc, stored_pocs, write_bytes, write_rows
from tests.mailserver import HOST, free_port, smtp_server

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
CORPUS = Path(__file__).resolve().parent / "files" / "corpus"
NOT_A_WORKBOOK = bytes(range(256)) * 8


def work_item(name: str) -> dict[str, str]:
    """A valid new POC row; work items get their address from the system, so any number of
    them can be made without running out of inventory numbers."""
    return poc(
        Name=name,
        Media_Type="Work Item",
        Point_of_Contact="",
        Skill="Back Office",
        Script="Work Item Router",
    )


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings whose passes do not wait: these tests say what happens between the two looks."""
    return settings.model_copy(update={"inbox_settle_seconds": 0})


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def nightly(store: Store, inbox: Path) -> Schedule:
    return store.add_schedule(
        Schedule(
            name="nightly",
            cron="0 2 * * *",
            timezone="UTC",
            inbox=str(inbox),
            rows="changed",
            recipients=("ops@example.com",),
        )
    )


def one_pass(store: Store, settings: Settings, schedule: Schedule, **options: object):
    return process_inbox(store, settings, InProcessQueue(store, settings), schedule, **options)


def scheduled(store: Store) -> dict[str, dict]:
    """The batches schedules made, by file name."""
    return {b["file_name"]: b for b in store.history() if b["source"] == "schedule"}


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_each_new_file_is_one_batch_filed_by_its_outcome(store, quick, inbox, nightly):
    write_rows(inbox / "a.csv", [work_item("Queue A") | {"Row Changed": "Y"}])
    shutil.copy(SAMPLES / "new-pocs.xlsx", inbox / "b.xlsx")
    write_bytes(inbox / "c.xlsx", NOT_A_WORKBOOK)
    write_rows(inbox / "d.csv", [work_item("Queue D") | {"Row Changed": "Y"}])

    result = one_pass(store, quick, nightly)

    batches = scheduled(store)
    assert {name: b["status"] for name, b in batches.items()} == {
        "a.csv": "succeeded",
        "b.xlsx": "succeeded",
        "c.xlsx": "failed",  # it cannot be read; the pass goes on with the next file
        "d.csv": "succeeded",
    }
    for batch in batches.values():
        assert batch["schedule_name"] == "nightly"
        assert batch["user_name"] == "admin"
        assert batch["options"]["rows"] == "changed"
        assert batch["options"]["notify"] == ["ops@example.com"]
    assert listing(inbox / "processed") == [
        f"{batches[name]['id']}-{name}" for name in ("a.csv", "b.xlsx", "d.csv")
    ]
    assert listing(inbox / "failed") == [f"{batches['c.xlsx']['id']}-c.xlsx"]
    assert listing(inbox / "processing") == []
    assert Path(batches["c.xlsx"]["inbox_path"]) == inbox / "failed" / listing(inbox / "failed")[0]
    assert {row["name"] for row in stored_pocs(store)} == {"Queue A", "Queue D"}
    assert batches["b.xlsx"]["skipped"] == 12  # no row marked in Row Changed
    lines = result.lines()
    assert lines[0] == f"nightly: a.csv → batch {batches['a.csv']['id']}, Succeeded"
    assert lines[2].startswith(f"nightly: c.xlsx → batch {batches['c.xlsx']['id']}, Failed: ")


def test_every_spreadsheet_the_reader_reads_is_picked_up_and_numbers_fails_saying_so(
    store, quick, inbox, nightly
):
    rows = [POC_HEADERS, [work_item("Queue O").get(h, "") for h in POC_HEADERS]]
    rows[1][POC_HEADERS.index("Row Changed")] = "Y"
    write_bytes(inbox / "o.ods", ods_bytes(rows))
    shutil.copy(CORPUS / "sheetjs" / "minimal_112.numbers", inbox / "n.numbers")
    write_bytes(inbox / "notes.txt", b"not for the schedule")

    result = one_pass(store, quick, nightly)

    batches = scheduled(store)
    assert {name: b["status"] for name, b in batches.items()} == {
        "n.numbers": "failed",
        "o.ods": "succeeded",
    }
    assert {row["name"] for row in stored_pocs(store)} == {"Queue O"}
    assert listing(inbox) == ["failed", "notes.txt", "processed", "processing"]
    assert "n.numbers is an Apple Numbers spreadsheet, which bulkpoc cannot read" in "".join(
        result.lines()
    )


def test_the_same_content_under_another_name_is_recorded_as_a_duplicate(
    store, quick, inbox, nightly
):
    write_rows(inbox / "a.csv", [poc()])
    one_pass(store, quick, nightly)
    shutil.copy(inbox / "processed" / listing(inbox / "processed")[0], inbox / "copy of a.csv")

    result = one_pass(store, quick, nightly)

    first, duplicate = scheduled(store)["a.csv"], scheduled(store)["copy of a.csv"]
    assert duplicate["status"] == BatchStatus.DUPLICATE
    assert duplicate["failure_code"] == "duplicate_file"
    assert duplicate["failure"] == (
        f"The inbox already received this content in batch {first['id']}, so it was not "
        "processed again."
    )
    assert duplicate["checksum"] == first["checksum"]
    assert listing(inbox / "processed") == [
        f"{first['id']}-a.csv",
        f"{duplicate['id']}-copy of a.csv",
    ]
    assert result.lines() == [
        f"nightly: copy of a.csv → batch {duplicate['id']}, Duplicate: {duplicate['failure']}"
    ]


def test_files_still_being_written_are_left_for_a_later_pass(store, quick, inbox, nightly):
    temporary = ["~$a.xlsx", ".~lock.a.csv#", "a.csv.part", "b.xlsx.tmp", ".hidden.csv"]
    for name in temporary:
        write_bytes(inbox / name, b"half")
    growing = write_rows(inbox / "growing.csv", [work_item("Queue 1")])

    def a_writer_appends_between_the_two_looks(_seconds: float) -> None:
        with growing.open("a", encoding="utf-8", newline="") as handle:
            row = work_item("Queue 2")
            csv.writer(handle).writerow([row.get(header, "") for header in POC_HEADERS])

    result = one_pass(store, quick, nightly, pause=a_writer_appends_between_the_two_looks)

    assert scheduled(store) == {}
    assert listing(inbox) == sorted([*temporary, "growing.csv"])
    assert result.lines() == [
        *(
            f"nightly: {name} left for a later pass: it has a temporary name."
            for name in sorted(temporary)
        ),
        "nightly: growing.csv left for a later pass: it is still being written.",
    ]
    # Once it has stopped changing, the next pass takes it.
    one_pass(store, quick, nightly)
    assert scheduled(store)["growing.csv"]["total"] == 2


# A pass in a process of its own that may not read what its owner cannot: as root, without the
# capabilities that let root read any file.
UNPRIVILEGED_PASS = """
import sys
from bulkpoc.config import Settings
from bulkpoc.jobs.queue import InProcessQueue
from bulkpoc.schedules.inbox import process_inbox
from bulkpoc.store.db import Store
store, settings = Store(sys.argv[1]), Settings.from_env()
schedule = store.get_schedule(sys.argv[2])
result = process_inbox(store, settings, InProcessQueue(store, settings), schedule)
print("\\n".join(result.lines()))
"""
WITHOUT_ROOTS_READ = ["setpriv", "--inh-caps=-dac_override,-dac_read_search"]
WITHOUT_ROOTS_READ += ["--bounding-set=-dac_override,-dac_read_search", "--"]


def test_a_file_the_process_may_not_read_fails_saying_so(store, inbox, nightly, tmp_path):
    secret = write_rows(inbox / "secret.csv", [work_item("Queue S")])
    secret.chmod(0)
    environment = {
        **os.environ,
        "BULKPOC_INBOX_SETTLE_SECONDS": "0",
        "BULKPOC_REPORT_DIR": str(tmp_path / "reports"),
        "BULKPOC_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    url = store.engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-c", UNPRIVILEGED_PASS, url, nightly.name]
    command = WITHOUT_ROOTS_READ + command if os.geteuid() == 0 else command
    run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr

    batch = scheduled(store)["secret.csv"]
    said = "The file secret.csv cannot be read: permission denied."
    assert (batch["status"], batch["failure"]) == ("failed", said)
    assert run.stdout.splitlines() == [f"nightly: secret.csv → batch {batch['id']}, Failed: {said}"]
    assert listing(inbox / "failed") == [f"{batch['id']}-secret.csv"]


class Later(LocalQueue):
    """A queue whose batches a worker runs later (``run``), as on PostgreSQL."""

    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self.batches: list[int] = []

    def enqueue(self, batch_id: int) -> None:
        self.batches.append(batch_id)

    def run(self) -> None:
        for batch_id in self.batches:
            run_batch(self.store, self.settings, batch_id)


def csv_lines(rows: list[dict[str, str]]) -> str:
    text = io.StringIO()
    csv.writer(text).writerows([[row.get(header, "") for header in POC_HEADERS] for row in rows])
    return text.getvalue()


def a_writer_that_pauses(inbox: Path) -> tuple[TextIO, str]:
    """A program that wrote a header and 70 rows, paused past the settle time and will write
    130 more through the handle it still holds; and the 130 rows it will write."""
    handle = (inbox / "orders.csv").open("w", encoding="utf-8", newline="")
    handle.write(csv_lines([dict(zip(POC_HEADERS, POC_HEADERS, strict=True))]))
    rows = [work_item(f"Queue {n}") | {"Row Changed": "Y"} for n in range(1, 201)]
    handle.write(csv_lines(rows[:70]))
    handle.flush()
    return handle, csv_lines(rows[70:])


def changed_warning(batch_id: int) -> str:
    return (
        "The file orders.csv changed after it was read: this batch has the 70 rows read "
        f"first; the 130 rows written after are in the inbox as orders-rest-of-batch-{batch_id}"
        ".csv for the next pass."
    )


def test_rows_written_after_the_file_was_read_are_kept_for_the_next_pass(
    store, quick, inbox, nightly
):
    handle, later_rows = a_writer_that_pauses(inbox)
    read = (inbox / "orders.csv").read_bytes()
    worker = Later(store, quick)
    process_inbox(store, quick, worker, nightly)  # it looks settled: claimed and read
    handle.write(later_rows)  # the writer goes on, into the claimed file
    handle.close()
    worker.run()

    batch = scheduled(store)["orders.csv"]
    assert (batch["status"], batch["total"]) == ("succeeded", 70)
    assert changed_warning(batch["id"]) in batch["warnings"]
    # processed/ holds what the batch read, nothing more; the rest waits in the inbox.
    assert (inbox / "processed" / f"{batch['id']}-orders.csv").read_bytes() == read
    rest = f"orders-rest-of-batch-{batch['id']}.csv"
    assert listing(inbox) == sorted(["processed", "processing", rest])
    assert listing(inbox / "processing") == []

    one_pass(store, quick, nightly)
    assert scheduled(store)[rest]["total"] == 130
    assert len(stored_pocs(store)) == 200


def test_rows_written_after_the_file_was_filed_are_found_by_the_next_pass(
    store, quick, inbox, nightly
):
    handle, later_rows = a_writer_that_pauses(inbox)
    read = (inbox / "orders.csv").read_bytes()
    one_pass(store, quick, nightly)  # read, imported and filed under processed/
    batch = scheduled(store)["orders.csv"]
    filed = inbox / "processed" / f"{batch['id']}-orders.csv"
    assert filed.read_bytes() == read
    handle.write(later_rows)  # the writer goes on, into the filed file
    handle.close()

    result = one_pass(store, quick, nightly)

    assert filed.read_bytes() == read
    assert changed_warning(batch["id"]) in store.batch(batch["id"])["warnings"]
    assert f"nightly: batch {batch['id']}: {changed_warning(batch['id'])}" in result.lines()
    one_pass(store, quick, nightly)
    rest = scheduled(store)[f"orders-rest-of-batch-{batch['id']}.csv"]
    assert (rest["status"], rest["total"]) == ("succeeded", 130)
    assert len(stored_pocs(store)) == 200


def test_a_file_rewritten_after_it_was_read_goes_back_to_the_inbox_whole(
    store, quick, inbox, nightly
):
    path = write_rows(inbox / "team.csv", [work_item("Queue A") | {"Row Changed": "Y"}])
    read = path.read_bytes()
    worker = Later(store, quick)
    with path.open("r+b") as handle:  # the program that wrote it still holds it
        process_inbox(store, quick, worker, nightly)
        handle.write(read.replace(b"Queue A", b"Queue B"))  # and rewrites it in place
    worker.run()

    batch = scheduled(store)["team.csv"]
    again = f"team-changed-after-batch-{batch['id']}.csv"
    assert (inbox / "processed" / f"{batch['id']}-team.csv").read_bytes() == read
    assert (inbox / again).read_bytes() == read.replace(b"Queue A", b"Queue B")
    assert (
        "The file team.csv changed after it was read, not only by rows added at its end: this "
        f"batch has the content read first; the changed file is in the inbox as {again} for "
        "the next pass, whole (with what this batch read)."
    ) in batch["warnings"]


def test_folders_and_other_files_are_not_touched(store, quick, inbox, nightly):
    (inbox / "archive").mkdir()
    write_rows(inbox / "archive" / "old.csv", [poc()])
    write_bytes(inbox / "README.txt", b"drop POC files here")

    result = one_pass(store, quick, nightly)

    assert result.files == []
    assert result.warning is None
    assert scheduled(store) == {}
    assert listing(inbox) == ["README.txt", "archive"]
    assert listing(inbox / "archive") == ["old.csv"]


def test_a_file_another_scheduler_claimed_is_skipped_silently(store, quick, inbox, nightly):
    write_rows(inbox / "a.csv", [poc()])

    def another_scheduler_takes_it(_seconds: float) -> None:
        (inbox / "a.csv").rename(inbox.parent / "elsewhere.csv")

    result = one_pass(store, quick, nightly, pause=another_scheduler_takes_it)

    assert result.files == []
    assert scheduled(store) == {}


def test_two_passes_over_one_inbox_at_once_submit_each_file_once(store, quick, inbox, nightly):
    names = [f"f{number}.csv" for number in range(6)]
    for number, name in enumerate(names[:4]):
        write_rows(inbox / name, [work_item(f"Queue {number}")])
    shutil.copy(inbox / "f0.csv", inbox / "f4.csv")
    shutil.copy(inbox / "f1.csv", inbox / "f5.csv")
    both_have_looked = threading.Barrier(2)

    def together(_seconds: float) -> None:
        both_have_looked.wait()

    stores = [Store(store.url) for _ in range(2)]
    threads = [
        threading.Thread(
            target=one_pass,
            args=(own, quick, nightly),
            kwargs={"pause": together},
        )
        for own in stores
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    batches = scheduled(store)
    assert sorted(batches) == names  # each file once, none lost
    statuses = sorted(batch["status"] for batch in batches.values())
    assert statuses == ["duplicate", "duplicate"] + ["succeeded"] * 4
    assert len(listing(inbox / "processed")) == 6
    assert listing(inbox) == ["processed", "processing"]
    for own in stores:
        own.engine.dispose()


@on_postgres[0]
@on_postgres[1]
def test_a_file_the_queue_cannot_take_stays_in_the_inbox_for_the_next_pass(
    store, quick, inbox, nightly
):
    """Issue 22, defect 14, for the inbox: a batch is stored with its job or not at all."""
    from tests.test_api_concurrency import jobs_per_batch  # it imports this module

    write_rows(inbox / "a.csv", [poc()])
    queue = queue_for(store, quick)
    with store.engine.begin() as connection:  # the queue's table is gone: deferring fails
        connection.exec_driver_sql("ALTER TABLE procrastinate_jobs RENAME TO jobs_away")
    try:
        refused = process_inbox(store, quick, queue, nightly)
    finally:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE jobs_away RENAME TO procrastinate_jobs")

    assert scheduled(store) == {}  # no batch left behind without its job
    assert listing(inbox) == ["a.csv", "processing"]
    assert refused.lines() == [
        "nightly: a.csv left for a later pass: the job queue could not take its batch, so "
        "nothing was stored."
    ]
    taken = process_inbox(store, quick, queue, nightly)  # the next pass: not a duplicate
    batch = scheduled(store)["a.csv"]
    assert taken.lines() == [f"nightly: a.csv → batch {batch['id']}, Queued"]
    assert jobs_per_batch(store) == {batch["id"]: 1}
    assert listing(inbox) == ["processing"]


def test_a_batch_stopped_while_the_pass_runs_it_keeps_its_file_in_processing(
    store, quick, inbox, nightly
):
    """SQLite's queue runs the batch within ``submit``: Ctrl-C then stops a recorded batch,
    whose file must stay with it rather than go back to the inbox as if never taken."""

    class StoppedWhileRunning(Later):
        def enqueue(self, batch_id: int) -> None:
            raise KeyboardInterrupt

    write_rows(inbox / "a.csv", [work_item("Queue A")])
    with pytest.raises(KeyboardInterrupt):
        process_inbox(store, quick, StoppedWhileRunning(store, quick), nightly)

    batch = scheduled(store)["a.csv"]
    assert batch["status"] == "queued"  # the next worker or server start runs it
    assert listing(inbox) == ["processing"]
    assert Path(batch["inbox_path"]).exists()
    one_pass(store, quick, nightly)  # nothing to take again: no duplicate
    assert list(scheduled(store)) == ["a.csv"]


def test_a_filed_file_never_overwrites_one_already_there(store, quick, inbox, nightly):
    write_rows(inbox / "a.csv", [poc()])
    batch_id = max(b["id"] for b in store.history()) + 1
    (inbox / "processed").mkdir()
    write_bytes(inbox / "processed" / f"{batch_id}-a.csv", b"kept")

    one_pass(store, quick, nightly)

    assert scheduled(store)["a.csv"]["id"] == batch_id
    assert (inbox / "processed" / f"{batch_id}-a.csv").read_bytes() == b"kept"
    assert listing(inbox / "processed") == [f"{batch_id}-a-2.csv", f"{batch_id}-a.csv"]


def test_an_interrupted_batch_keeps_its_file_in_processing_until_it_runs_again(
    store, quick, inbox, nightly
):
    (inbox / "processing").mkdir()
    claimed = write_rows(inbox / "processing" / "1234-x.csv", [work_item("Queue X")])
    options = dataclasses.replace(nightly.options(), display_name="x.csv")
    batch_id = submit(store, claimed, options, quick, inbox_path=str(claimed))
    batch = store.batch(batch_id)

    assert file_away(store, batch, BatchStatus.INTERRUPTED) is None
    assert listing(inbox / "processing") == ["1234-x.csv"]
    filed = file_away(store, batch, BatchStatus.FAILED)
    assert filed == inbox / "failed" / f"{batch_id}-x.csv"
    assert listing(inbox / "processing") == []
    assert store.batch(batch_id)["inbox_path"] == str(filed)


def test_a_scheduled_file_emails_its_schedules_recipients_even_when_smtp_was_down(
    store, quick, inbox
):
    write_rows(
        inbox / "partner.csv",
        [work_item("Queue A") | {"Row Changed": "Y"}, poc(Row_Changed="Y", Skill="Nope")],
    )
    port = free_port()  # nothing listens there yet: the SMTP server is down
    settings = quick.model_copy(
        update={"smtp_host": HOST, "smtp_port": port, "mail_retry_seconds": 0.01}
    )
    settings = settings.model_copy(update={"mail_retry_max_seconds": 0.01})
    store.add_schedule(
        Schedule(
            name="every-minute",
            cron="* * * * *",
            timezone="UTC",
            inbox=str(inbox),
            rows="changed",
            recipients=("ops@example.com", "pocs@example.com"),
        )
    )
    now = utcnow() + dt.timedelta(minutes=2)
    run_due(store, settings, InProcessQueue(store, settings), now)
    (batch,) = scheduled(store).values()
    assert batch["status"] == "completed_with_errors"  # a dead SMTP server does not fail it
    assert "kept in the outbox" in " ".join(batch["warnings"])

    time.sleep(0.05)  # past the retry delay
    with smtp_server(port) as server:
        run_due(store, settings, InProcessQueue(store, settings), now)  # the next pass retries
    (envelope,) = server.envelopes
    assert sorted(envelope.rcpt_tos) == ["ops@example.com", "pocs@example.com"]
    (message,) = server.messages()
    assert "partner.csv" in message["Subject"]
    assert "Completed with errors" in message["Subject"]
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(attachments) == ["changes.csv", "partner-errors.csv"]
    attachment = attachments["partner-errors.csv"]
    assert "Nope" in attachment.get_content()
