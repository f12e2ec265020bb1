"""``bulkpoc schedule …`` and ``bulkpoc scheduler`` end to end, on real stores and processes."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text

from bulkpoc.domain.schedule import Schedule
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.cli import Bulkpoc, command_in
from tests.conftest import write_bytes, write_rows
from tests.test_inbox import NOT_A_WORKBOOK, work_item

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_files"
T = TypeVar("T")


@pytest.fixture
def bulkpoc(tmp_path, monkeypatch) -> Bulkpoc:
    """The command on a demo store of its own (the scheduler's processes open its file)."""
    runner = command_in(tmp_path, monkeypatch)
    assert runner("init", "--demo").exit_code == 0
    return runner


def started(url: str, *args: object, cwd: Path, **env: str) -> subprocess.Popen[str]:
    """``bulkpoc --db URL ARGS`` as its own process, running this worktree's code."""
    environment = {**os.environ, **env}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    environment.pop("BULKPOC_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bulkpoc", "--db", url, *(str(arg) for arg in args)],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def eventually(check: Callable[[], T], limit: float = 60.0) -> T:
    """Wait for ``check`` to return something true (a guard against hanging, not a timing)."""
    deadline = time.monotonic() + limit
    while not (found := check()):
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)
    return found


def as_if_added_long_ago(store: Store, name: str) -> None:
    """A schedule waits for its first cron time after it was added; let that be in the past."""
    with store.transaction() as connection:
        connection.execute(
            schema.schedules.update()
            .where(schema.schedules.c.name == name)
            .values(created_at=dt.datetime(2000, 1, 1))
        )


def scheduled(store: Store) -> dict[str, dict]:
    return {b["file_name"]: b for b in store.history() if b["source"] == "schedule"}


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_schedule_is_added_listed_disabled_enabled_and_removed(bulkpoc, tmp_path):
    added = bulkpoc(
        "schedule", "add", "nightly", "--cron", "30 2 * * *", "--inbox", "drop/here",
        "--type", "skill", "--rows", "changed", "--all-or-nothing", "--notify", "a@example.com",
        "--notify", "b@example.com", "--timezone", "Europe/Paris",
    )  # fmt: skip
    inbox = tmp_path / "drop" / "here"
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith(
        f"Schedule 'nightly' added: files dropped into {inbox} are uploaded as admin at "
        "'30 2 * * *' (Europe/Paris); next run "
    )
    assert re.search(r"next run \d{4}-\d\d-\d\d 02:30:00 CES?T\.$", added.stdout.strip())
    assert inbox.is_dir()
    [listed] = json.loads(bulkpoc("schedule", "list", "--json").stdout)
    next_run = dt.datetime.fromisoformat(listed.pop("next_run"))
    assert (next_run.hour, next_run.minute, next_run.utcoffset() is not None) == (2, 30, True)
    assert listed == {
        "name": "nightly",
        "cron": "30 2 * * *",
        "timezone": "Europe/Paris",
        "inbox": str(inbox),
        "type": "skill",
        "rows": "changed",
        "all_or_nothing": True,
        "max_failed": None,
        "hold_for_approval": False,
        "notify": ["a@example.com", "b@example.com"],
        "run_as": "admin",
        "mapping": None,
        "enabled": True,
        "last_run": None,
    }
    assert bulkpoc("schedule", "disable", "nightly").stdout == "Schedule 'nightly' disabled.\n"
    [listed] = json.loads(bulkpoc("schedule", "list", "--json").stdout)
    assert (listed["enabled"], listed["next_run"]) == (False, None)
    assert "disabled" in bulkpoc("schedule", "list").stdout
    assert bulkpoc("schedule", "enable", "nightly").stdout.startswith(
        "Schedule 'nightly' enabled; next run "
    )
    assert bulkpoc("schedule", "remove", "nightly").stdout == "Schedule 'nightly' removed.\n"
    assert bulkpoc("schedule", "list").stdout == (
        "No schedules yet; add one with `bulkpoc schedule add`.\n"
    )
    assert inbox.is_dir()  # the folder and whatever is in it stay


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add", "x", "--cron", "61 * * * *", "--inbox", "in"],
            "'61 * * * *' is not a valid cron expression (not acceptable, out of range); "
            "write minute hour day-of-month month day-of-week, e.g. '*/15 * * * *'.",
        ),
        (
            ["add", "x", "--cron", "0 2 * * *", "--inbox", "in", "--timezone", "Paris"],
            "'Paris' is not a time zone; use an IANA name such as 'Europe/Paris' or 'UTC'.",
        ),
        (
            ["add", "x", "--cron", "0 2 * * *", "--inbox", "in", "--as", "bob"],
            "There is no user named 'bob'; add one with `bulkpoc users add`.",
        ),
        (
            ["add", "x", "--cron", "0 2 * * *", "--inbox", "in", "--notify", "ops"],
            "'ops' is not an email address (an email address must have an @-sign).",
        ),
        (["remove", "x"], "There is no schedule named 'x'; `bulkpoc schedule list` shows them."),
        (["run", "x"], "There is no schedule named 'x'; `bulkpoc schedule list` shows them."),
        (["enable", "x"], "There is no schedule named 'x'; `bulkpoc schedule list` shows them."),
    ],
    ids=["cron", "timezone", "user", "email", "remove", "run", "enable"],
)
def test_a_usage_error_is_one_sentence_and_exit_2(bulkpoc, tmp_path, args, message):
    result = bulkpoc("schedule", *args)
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")
    assert not (tmp_path / "in").exists()


def test_a_second_schedule_of_the_same_name_is_refused(bulkpoc):
    assert bulkpoc("schedule", "add", "x", "--cron", "0 2 * * *", "--inbox", "a").exit_code == 0
    result = bulkpoc("schedule", "add", "x", "--cron", "0 3 * * *", "--inbox", "b")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: A schedule named 'x' already exists; remove it first or choose another name.\n",
    )


def test_run_due_makes_a_batch_of_each_dropped_file_and_files_it(bulkpoc, tmp_path):
    inbox = tmp_path / "inbox"
    bulkpoc("schedule", "add", "hourly", "--cron", "0 * * * *", "--inbox", inbox)
    as_if_added_long_ago(bulkpoc.store(), "hourly")
    write_rows(inbox / "a.csv", [work_item("Queue A")])
    shutil.copy(inbox / "a.csv", inbox / "b.csv")  # same bytes, another name
    write_bytes(inbox / "c.xlsx", NOT_A_WORKBOOK)  # cannot be read
    write_rows(inbox / "d.csv", [work_item("Queue D")])
    write_bytes(inbox / "~$e.xlsx", b"Excel's owner file while e.xlsx is open")

    due = bulkpoc("schedule", "run-due")

    assert due.exit_code == 0, due.output
    batches = scheduled(bulkpoc.store())
    ids = {name: batch["id"] for name, batch in batches.items()}
    failure = batches["c.xlsx"]["failure"]
    assert due.stdout.splitlines() == [
        "hourly: ~$e.xlsx left for a later pass: it has a temporary name.",
        f"hourly: a.csv → batch {ids['a.csv']}, Succeeded",
        f"hourly: b.csv → batch {ids['b.csv']}, Duplicate: The inbox already received this "
        f"content in batch {ids['a.csv']}, so it was not processed again.",
        f"hourly: c.xlsx → batch {ids['c.xlsx']}, Failed: {failure}",
        f"hourly: d.csv → batch {ids['d.csv']}, Succeeded",
    ]
    for batch in batches.values():
        assert (batch["source"], batch["schedule_name"]) == ("schedule", "hourly")
    assert listing(inbox / "processed") == [f"{ids[n]}-{n}" for n in ("a.csv", "b.csv", "d.csv")]
    assert listing(inbox / "failed") == [f"{ids['c.xlsx']}-c.xlsx"]
    assert listing(inbox) == ["failed", "processed", "processing", "~$e.xlsx"]
    history = bulkpoc("history", "--json")
    assert {b["file_name"]: b["status"] for b in json.loads(history.stdout)[:4]} == {
        "a.csv": "succeeded",
        "b.csv": "duplicate",
        "c.xlsx": "failed",
        "d.csv": "succeeded",
    }

    # It fired for this hour's cron time: a second pass in the same hour leaves a new file...
    write_rows(inbox / "f.csv", [work_item("Queue F")])
    assert bulkpoc("schedule", "run-due").stdout == ""
    assert "f.csv" in listing(inbox)
    # ...which `schedule run` takes now, whatever the time.
    now = bulkpoc("schedule", "run", "hourly")
    assert now.stdout.startswith("hourly: ~$e.xlsx left for a later pass")
    assert now.stdout.splitlines()[1].startswith("hourly: f.csv → batch ")
    os.remove(inbox / "~$e.xlsx")
    assert bulkpoc("schedule", "run", "hourly").stdout == f"hourly: no new files in {inbox}.\n"


def test_run_due_warns_of_a_missing_inbox_and_goes_on(bulkpoc, tmp_path):
    bulkpoc("schedule", "add", "gone", "--cron", "0 * * * *", "--inbox", tmp_path / "gone")
    bulkpoc("schedule", "add", "there", "--cron", "0 * * * *", "--inbox", tmp_path / "there")
    for name in ("gone", "there"):
        as_if_added_long_ago(bulkpoc.store(), name)
    (tmp_path / "gone").rmdir()
    write_rows(tmp_path / "there" / "a.csv", [work_item("Queue A")])

    due = bulkpoc("schedule", "run-due")

    assert due.exit_code == 0
    assert due.stderr == (
        f"Warning: The inbox {tmp_path / 'gone'} of schedule 'gone' is not a folder that exists; "
        "the schedule looks again on its next run.\n"
    )
    assert re.fullmatch(r"there: a\.csv → batch \d+, Succeeded\n", due.stdout)


def test_two_processes_on_one_inbox_submit_each_file_once(store, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = [f"f{number}.csv" for number in range(6)]
    for number, name in enumerate(names[:4]):
        write_rows(inbox / name, [work_item(f"Queue {number}")])
    shutil.copy(inbox / "f0.csv", inbox / "f4.csv")
    shutil.copy(inbox / "f1.csv", inbox / "f5.csv")
    store.add_schedule(Schedule(name="shared", cron="0 2 * * *", timezone="UTC", inbox=str(inbox)))
    store.engine.dispose()

    processes = [started(store.url, "schedule", "run", "shared", cwd=tmp_path) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    said = [re.findall(r"^shared: (f\d\.csv) → batch", out, re.M) for out, _ in outputs]
    assert sorted(said[0] + said[1]) == names  # each file once, by one process or the other
    batches = scheduled(store)
    assert sorted(batches) == names
    on_postgresql = store.engine.dialect.name == "postgresql"
    run = "queued" if on_postgresql else "succeeded"  # on PostgreSQL, workers run them
    assert sorted(b["status"] for b in batches.values()) == ["duplicate"] * 2 + [run] * 4
    assert [name for name in listing(inbox) if name.endswith(".csv")] == []
    if on_postgresql:
        with store.engine.connect() as connection:
            jobs = connection.execute(text("SELECT args FROM procrastinate_jobs")).all()
        queued = sorted(b["id"] for b in batches.values() if b["status"] == "queued")
        assert sorted(args["batch_id"] for (args,) in jobs) == queued


def test_the_scheduler_process_runs_dropped_files_on_time_and_stops_on_sigterm(bulkpoc, tmp_path):
    inbox = tmp_path / "inbox"
    every_two_seconds = "* * * * * */2"
    bulkpoc("schedule", "add", "often", "--cron", every_two_seconds, "--inbox", inbox)
    scheduler = started(bulkpoc.url, "scheduler", cwd=tmp_path)
    try:
        assert scheduler.stdout is not None
        assert scheduler.stdout.readline().startswith(
            f"Scheduler running on sqlite:///{bulkpoc.db} with 1 enabled schedule(s); "
        )
        write_rows(inbox / "a.csv", [work_item("Queue A")])
        [filed] = eventually(lambda: listing(inbox / "processed"))
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=60)
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
    assert scheduler.returncode == 0, err
    batch = scheduled(bulkpoc.store())["a.csv"]
    assert (filed, batch["status"]) == (f"{batch['id']}-a.csv", "succeeded")
    assert out.splitlines() == [
        f"often: a.csv → batch {batch['id']}, Succeeded",
        "Scheduler stopped.",
    ]
    assert "Traceback" not in err
