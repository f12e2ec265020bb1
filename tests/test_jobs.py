"""Batches as jobs (SPEC §6): submitted, processed by whichever process takes them, never lost.

Processes are started for real and killed with SIGKILL; workers are real procrastinate workers
on the test PostgreSQL server.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bulkpoc.batch.submit import load_result, process, submit
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.schedule import Schedule
from bulkpoc.jobs.queue import ThreadQueue, queue_for
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.conftest import on_postgres, poc, stored_pocs, write_rows
from tests.test_cli_schedules import as_if_added_long_ago


def mailboxes(path: Path, count: int, first: int = 0) -> Path:
    """A CSV of ``count`` new Email POCs: big enough to kill a batch in the middle."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Name", "Media Type", "Point of Contact", "Skill", "Script"])
        for i in range(first, first + count):
            writer.writerow(
                [f"Mailbox {i}", "Email", f"user{i}@example.com", "Email Support", "Email Router"]
            )
    return path


def bulkpoc(store: Store, settings: Settings, *args: object) -> subprocess.Popen:
    """Start ``bulkpoc --db <store> ARGS`` as its own process."""
    env = {
        **os.environ,
        "BULKPOC_REPORT_DIR": str(settings.report_dir),
        "BULKPOC_OUTBOX_DIR": str(settings.outbox_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bulkpoc", "--db", store.url, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    assert "Traceback" not in out + err, out + err
    return process.returncode, out + err


def wait_for(condition: Callable[[], object], timeout: float = 180) -> object:
    """As soon as ``condition`` holds; ``timeout`` only bounds a hang (a 100,000-row batch on a
    busy machine took more than 60 s to reach its apply)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def running_batch(store: Store, stage: str | None = None) -> dict | None:
    for batch in store.history(status="running"):
        if stage is None or batch["stage"] == stage:
            return batch
    return None


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_a_submitted_batch_waits_queued_until_a_process_runs_it(store, settings, tmp_path):
    path = write_rows(tmp_path / "queued.csv", [poc()])
    batch_id = submit(store, path, ImportOptions(source="api"), settings)
    path.unlink()  # the store kept the bytes: the file itself is no longer needed

    queued = store.batch(batch_id)
    assert (queued["status"], queued["started_at"], queued["source"]) == ("queued", None, "api")
    assert store.file_content(queued["checksum"]) is not None
    assert stored_pocs(store) == []

    result = process(store, batch_id, settings)
    assert (result.status.value, result.counts.created) == ("succeeded", 1)
    assert [p["name"] for p in stored_pocs(store)] == ["Main Line"]
    # A second process finds it done and shows the recorded result, applying nothing again.
    again = process(store, batch_id, settings)
    assert (again.status, again.counts, again.batch_id) == (result.status, result.counts, batch_id)
    assert len(stored_pocs(store)) == 1


def test_any_process_can_show_the_result_and_serve_the_error_file(store, settings, tmp_path):
    path = write_rows(
        tmp_path / "mixed.csv", [poc(), poc(Name="Typo", Skill="Nope", Point_of_Contact="+1202")]
    )
    result = process(store, submit(store, path, ImportOptions(), settings), settings)

    shown = load_result(store, result.batch_id)
    assert shown.model_dump(exclude={"timings"}) == result.model_dump(exclude={"timings"})
    name, content = store.batch_file(result.batch_id, "errors")
    assert name == "mixed-errors.csv"
    assert content == Path(result.reports.error_file).read_bytes()


def test_the_same_content_is_kept_once(store, settings, tmp_path):
    first = write_rows(tmp_path / "one.csv", [poc()])
    second = tmp_path / "two.csv"
    second.write_bytes(first.read_bytes())
    before = store.count(schema.files)
    for path in (first, second):
        submit(store, path, ImportOptions(), settings)
    assert store.count(schema.files) == before + 1


def test_a_killed_import_applies_nothing_and_is_marked_interrupted(store, settings, tmp_path):
    big = mailboxes(tmp_path / "big.csv", 100_000)
    importing = bulkpoc(store, settings, "import", big)
    # PostgreSQL lets the batch report its stage mid-transaction; SQLite's write lock does not.
    stage = "apply" if store.engine.dialect.name == "postgresql" else None
    batch = wait_for(lambda: running_batch(store, stage))
    if stage is None:
        time.sleep(0.5)
    assert store.batch(batch["id"])["status"] == "running"
    kill(importing)

    code, output = finish(bulkpoc(store, settings, "history", "--status", "interrupted"))
    assert code == 0
    assert "Interrupted" in output
    interrupted = store.batch(batch["id"])
    assert (interrupted["status"], interrupted["failure_code"]) == (
        "interrupted",
        "batch_interrupted",
    )
    assert f"bulkpoc rerun {batch['id']}" in interrupted["failure"]
    assert stored_pocs(store) == []

    if store.engine.dialect.name == "sqlite":
        code, output = finish(bulkpoc(store, settings, "rerun", batch["id"]))
    else:
        code, output = finish(bulkpoc(store, settings, "rerun", batch["id"]))
        assert "queued" in output
        code, output = finish(bulkpoc(store, settings, "worker", "--until-empty"))
    assert code == 0, output
    assert store.batch(batch["id"])["status"] == "succeeded"
    assert store.count(schema.pocs) == 100_000


def test_only_an_interrupted_batch_can_be_run_again(store, settings, tmp_path):
    result = process(
        store, submit(store, write_rows(tmp_path / "a.csv", [poc()]), settings=settings), settings
    )
    code, output = finish(bulkpoc(store, settings, "rerun", result.batch_id))
    assert code != 0
    assert "only an interrupted batch can be run again" in output


def test_a_batch_running_on_another_machine_is_interrupted_only_once_it_falls_silent(
    store, settings
):
    batch_id = store.submit_batch(
        status="running",
        record_type="poc",
        file_name="far.csv",
        checksum="",
        source="api",
        user_name="admin",
        options={},
    )
    store.update_batch(batch_id, worker="elsewhere.example:4242")
    assert store.interrupt_dead_batches(stale_after=60) == []
    assert store.interrupt_dead_batches(stale_after=0) == [batch_id]
    assert store.batch(batch_id)["status"] == "interrupted"


@on_postgres[0]
@on_postgres[1]
def test_a_worker_killed_mid_batch_leaves_nothing_applied_and_the_batch_interrupted(
    store, settings, tmp_path
):
    batch_id = submit(store, mailboxes(tmp_path / "big.csv", 100_000), settings=settings)
    queue_for(store, settings).enqueue(batch_id)
    worker = bulkpoc(store, settings, "worker")
    wait_for(lambda: running_batch(store, "apply"))
    kill(worker)

    survivor = bulkpoc(store, settings, "worker", "--until-empty")
    code, output = finish(survivor)
    assert code == 0, output
    batch = store.batch(batch_id)
    assert batch["status"] == "interrupted"
    assert f"Batch {batch_id} was interrupted" in output
    assert stored_pocs(store) == []


@on_postgres[0]
@on_postgres[1]
def test_two_workers_run_every_queued_batch_exactly_once(store, settings, tmp_path):
    queue = queue_for(store, settings)
    submitted = []
    for n in range(12):
        path = mailboxes(tmp_path / f"part-{n}.csv", 200, first=n * 200)
        submitted.append(submit(store, path, settings=settings))
        queue.enqueue(submitted[-1])
    workers = [bulkpoc(store, settings, "worker", "--until-empty") for _ in range(2)]
    outputs = [finish(worker) for worker in workers]
    assert [code for code, _ in outputs] == [0, 0], outputs

    batches = [store.batch(batch_id) for batch_id in submitted]
    assert {batch["status"] for batch in batches} == {"succeeded"}
    assert store.count(schema.pocs) == 12 * 200
    ran = [line for _, output in outputs for line in output.splitlines() if "succeeded" in line]
    assert sorted(f"Batch {batch_id} succeeded" in " ".join(ran) for batch_id in submitted)
    assert len(ran) == 12, ran  # each batch ran once, on one of the two workers
    pids = {str(worker.pid) for worker in workers}
    assert {batch["worker"].rpartition(":")[2] for batch in batches} <= pids


@on_postgres[0]
@on_postgres[1]
def test_two_workers_and_two_schedulers_on_a_shared_inbox_process_each_file_once(
    store, settings, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(14):
        mailboxes(inbox / f"part-{n:02}.csv", 50, first=n * 50)
    for n in range(6):  # the same content again, under other names
        (inbox / f"again-{n}.csv").write_bytes((inbox / f"part-{n:02}.csv").read_bytes())
    store.add_schedule(Schedule(name="shared", cron="* * * * *", timezone="UTC", inbox=str(inbox)))
    as_if_added_long_ago(store, "shared")

    workers = [bulkpoc(store, settings, "worker") for _ in range(2)]
    passes = [bulkpoc(store, settings, "schedule", "run-due") for _ in range(2)]
    assert [finish(one)[0] for one in passes] == [0, 0]
    wait_for(lambda: not store.history(status="queued") and not store.history(status="running"))
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    outputs = [finish(worker) for worker in workers]
    assert [code for code, _ in outputs] == [0, 0], outputs

    batches = [b for b in store.history() if b["source"] == "schedule"]
    ran = [b for b in batches if b["status"] == "succeeded"]
    duplicates = [b for b in batches if b["status"] == "duplicate"]
    assert (len(ran), len(duplicates)) == (14, 6)
    assert len({b["checksum"] for b in ran}) == 14  # each distinct content once
    first_of = {b["checksum"]: b["id"] for b in ran}
    for duplicate in duplicates:
        assert f"batch {first_of[duplicate['checksum']]}" in duplicate["failure"]
    assert store.count(schema.pocs) == 14 * 50
    said = [line for _, out in outputs for line in out.splitlines() if "succeeded" in line]
    assert len(said) == 14, said  # each batch run by one worker, once
    processed = sorted(path.name for path in (inbox / "processed").iterdir())
    assert len(processed) == 20  # nothing lost: every file filed, with its batch id
    assert {name.split("-", 1)[0] for name in processed} == {str(b["id"]) for b in batches}
    assert [path.name for path in inbox.glob("*.csv")] == []


@on_postgres[0]
@on_postgres[1]
def test_a_queued_batch_whose_job_was_never_deferred_is_not_lost(store, settings, tmp_path):
    # The submitter recorded the batch, then lost the queue before deferring its job.
    batch_id = submit(store, write_rows(tmp_path / "orphan.csv", [poc()]), settings=settings)
    long_ago = dt.datetime(2000, 1, 1)
    store.update_batch(batch_id, submitted_at=long_ago)

    code, output = finish(bulkpoc(store, settings, "worker", "--until-empty"))
    assert code == 0, output
    assert store.batch(batch_id)["status"] == "succeeded"
    assert [p["name"] for p in stored_pocs(store)] == ["Main Line"]


def test_the_servers_runner_takes_batches_left_queued_and_new_ones_one_at_a_time(
    store, settings, tmp_path
):
    left = submit(store, write_rows(tmp_path / "left.csv", [poc()]), settings=settings)
    runner = ThreadQueue(store, settings)
    runner.start()
    big = submit(store, mailboxes(tmp_path / "big.csv", 20_000), settings=settings)
    runner.enqueue(big)
    seen = wait_for(lambda: runner.progress_of(big))  # its stage, even under SQLite's lock
    runner.stop()  # the running batch finishes first

    assert seen.stage in {"wait", "read", "validate", "plan", "apply", "report"}
    assert [store.batch(batch_id)["status"] for batch_id in (left, big)] == ["succeeded"] * 2
    assert store.count(schema.pocs) == 20_001
    assert runner.progress_of(big) is None


def test_a_running_batch_records_its_stage_and_heartbeat(store, settings):
    # Bug: on SQLite the progress write always failed (a transaction began with the PRAGMA),
    # and the heartbeat swallowed the error, so no stage was ever recorded there.
    batch_id = store.submit_batch(
        status="running",
        record_type="poc",
        file_name="progress.csv",
        checksum="",
        source="api",
        user_name="admin",
        options={},
    )
    before = store.batch(batch_id)["heartbeat_at"]
    store.report_progress(batch_id, stage="validate", stage_done=10, stage_total=20)
    batch = store.batch(batch_id)
    assert (batch["stage"], batch["stage_done"], batch["stage_total"]) == ("validate", 10, 20)
    assert batch["heartbeat_at"] > before
