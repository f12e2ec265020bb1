"""Schedules: when they are due, how the store keeps them, and that each fires once per time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import UnknownUser
from bulkpoc.domain.schedule import BadSchedule, Schedule, UnknownSchedule
from bulkpoc.jobs.queue import InProcessQueue
from bulkpoc.schedules.runner import RESCAN_SECONDS, run_due, run_forever, seconds_to_next_tick
from bulkpoc.store.batches import this_process
from bulkpoc.store.db import Store
from tests.conftest import poc, write_rows
from tests.test_inbox import work_item


def at(text: str) -> dt.datetime:
    """A naive UTC time, as the store keeps them."""
    return dt.datetime.fromisoformat(text)


def schedule(cron: str, created: str, **values: object) -> Schedule:
    fields = {"timezone": "UTC", "inbox": "/in", **values}
    return Schedule(name="s", cron=cron, created_at=at(created), **fields)  # type: ignore[arg-type]


# --- when a schedule is due -------------------------------------------------------------------


def test_a_schedule_fires_at_its_cron_time_in_its_own_time_zone():
    paris = schedule("0 9 * * *", "2024-01-10 00:00", timezone="Europe/Paris")
    # 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
    assert paris.due_tick(at("2024-01-10 07:59:59")) is None
    assert paris.due_tick(at("2024-01-10 08:00")) == at("2024-01-10 08:00")
    summer = dataclasses.replace(paris, created_at=at("2024-07-10 00:00"))
    assert summer.due_tick(at("2024-07-10 06:59:59")) is None
    assert summer.due_tick(at("2024-07-10 07:00:30")) == at("2024-07-10 07:00")
    assert summer.next_tick(at("2024-07-10 07:00")) == at("2024-07-11 07:00")


def test_a_new_schedule_waits_for_its_first_cron_time():
    every_minute = schedule("* * * * *", "2024-01-10 12:00:30")
    assert every_minute.due_tick(at("2024-01-10 12:00:59")) is None
    assert every_minute.due_tick(at("2024-01-10 12:01:00")) == at("2024-01-10 12:01")


def test_cron_times_missed_while_nothing_ran_fire_once():
    hourly = schedule("0 * * * *", "2024-01-10 00:30", last_fired_at=at("2024-01-10 01:00"))
    # Five cron times passed (02:00 to 06:00): one pass fires once, for the latest.
    assert hourly.due_tick(at("2024-01-10 06:20")) == at("2024-01-10 06:00")
    fired = dataclasses.replace(hourly, last_fired_at=at("2024-01-10 06:00"))
    assert fired.due_tick(at("2024-01-10 06:59")) is None
    assert fired.due_tick(at("2024-01-10 07:00")) == at("2024-01-10 07:00")


def test_a_sixth_field_gives_seconds_and_a_disabled_schedule_is_never_due():
    every_two_seconds = schedule("* * * * * */2", "2024-01-10 12:00:00.5")
    assert every_two_seconds.due_tick(at("2024-01-10 12:00:01.9")) is None
    assert every_two_seconds.due_tick(at("2024-01-10 12:00:02")) == at("2024-01-10 12:00:02")
    off = dataclasses.replace(every_two_seconds, enabled=False)
    assert off.due_tick(at("2024-01-10 13:00")) is None


# Hourly, daily at 01:30 (repeated on the fall-back day) and daily at 02:30 (missing on the
# spring-forward day in both zones), in a zone that changes at 02:00 local and one at 01:00 UTC.
DST_ZONES = ("America/New_York", "Europe/Berlin")
DST_CRONS = ("0 * * * *", "30 1 * * *", "30 2 * * *")


def dst_changes(zone: str, year: int) -> list[dt.datetime]:
    """The UTC hours of ``year`` at which ``zone``'s offset changes."""
    from zoneinfo import ZoneInfo

    hours = [dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=h) for h in range(8760)]
    offsets = [hour.astimezone(ZoneInfo(zone)).utcoffset() for hour in hours]
    return [
        hours[i].replace(tzinfo=None) for i in range(1, len(hours)) if offsets[i] != offsets[i - 1]
    ]


def croniter_lists(cron: str, zone: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every cron time in (start, end], as croniter lists them (naive UTC)."""
    from zoneinfo import ZoneInfo

    from croniter import croniter

    ticks = croniter(cron, start.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)))
    listed = []
    while (tick := ticks.get_next(dt.datetime).astimezone(dt.UTC).replace(tzinfo=None)) <= end:
        listed.append(tick)
    return listed


def fired_by_the_loop(due: Schedule, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The ticks a scheduler fires from ``start`` to ``end``, waking as ``run_forever`` does:
    at the next cron time, and at least every few minutes."""
    fired, now = [], start
    while now <= end:
        tick = due.due_tick(now)
        if tick is not None:
            fired.append(tick)
            due = dataclasses.replace(due, last_fired_at=tick)
        now = min(due.next_tick(now), now + dt.timedelta(minutes=7))
    return fired


@pytest.mark.parametrize("cron", DST_CRONS)
@pytest.mark.parametrize("zone", DST_ZONES)
def test_a_schedule_fires_at_every_cron_time_across_each_dst_change_of_a_year(zone, cron):
    changes = dst_changes(zone, 2027)
    assert len(changes) == 2
    for change in changes:
        start, end = change - dt.timedelta(hours=30), change + dt.timedelta(hours=30)
        due = Schedule(name="s", cron=cron, timezone=zone, inbox="/in", created_at=start)
        assert fired_by_the_loop(due, start, end) == croniter_lists(cron, zone, start, end)


def test_an_hourly_schedule_fires_every_hour_of_the_fall_back_day():
    hourly = schedule("0 * * * *", "2027-11-07 03:30", timezone="America/New_York")
    fired = fired_by_the_loop(hourly, at("2027-11-07 03:30"), at("2027-11-07 08:30"))
    # 00:00 EDT to 03:00 EST: the second 01:00 (06:00 UTC) is an hour of its own.
    assert fired == [at(f"2027-11-07 {hour:02}:00") for hour in (4, 5, 6, 7, 8)]
    assert hourly.due_tick(at("2027-11-07 06:00:00")) == at("2027-11-07 06:00")
    before = dataclasses.replace(hourly, last_fired_at=at("2027-11-07 05:00"))
    assert before.due_tick(at("2027-11-07 06:30")) == at("2027-11-07 06:00")


def test_a_daily_schedule_on_the_days_the_clocks_change():
    daily = schedule("30 1 * * *", "2027-03-13 12:00", timezone="America/New_York")
    # Spring forward (02:00 EST → 03:00 EDT): 01:30 comes once, as every day.
    assert fired_by_the_loop(daily, at("2027-03-13 12:00"), at("2027-03-15 12:00")) == [
        at("2027-03-14 06:30"),
        at("2027-03-15 05:30"),
    ]
    # Fall back (02:00 EDT → 01:00 EST): 01:30 comes twice, an hour apart, and fires twice.
    daily = dataclasses.replace(daily, created_at=at("2027-11-06 12:00"))
    assert fired_by_the_loop(daily, at("2027-11-06 12:00"), at("2027-11-08 12:00")) == [
        at("2027-11-07 05:30"),
        at("2027-11-07 06:30"),
        at("2027-11-08 06:30"),
    ]
    # A time the spring-forward day skips (02:30) fires when the clock jumps, at 03:00 EDT.
    skipped = dataclasses.replace(daily, cron="30 2 * * *", created_at=at("2027-03-13 12:00"))
    assert fired_by_the_loop(skipped, at("2027-03-13 12:00"), at("2027-03-14 12:00")) == [
        at("2027-03-14 07:00")
    ]


# --- keeping schedules ------------------------------------------------------------------------


def new(name: str = "nightly", **values: object) -> Schedule:
    fields = {"cron": "0 2 * * *", "timezone": "UTC", "inbox": "/srv/inbox", **values}
    return Schedule(name=name, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"cron": "61 * * * *"},
            "'61 * * * *' is not a valid cron expression (not acceptable, out of range); "
            "write minute hour day-of-month month day-of-week, e.g. '*/15 * * * *'.",
        ),
        ({"cron": "0 0 31 2 *"}, "The cron expression '0 0 31 2 *' never matches a date."),
        (
            {"timezone": "Mars/Olympus"},
            "'Mars/Olympus' is not a time zone; use an IANA name such as 'Europe/Paris' or 'UTC'.",
        ),
        ({"rows": "some"}, "Rows to Include must be 'all' or 'changed', not 'some'."),
        ({"record_type": "pizza"}, "Unknown record type 'pizza'; choose from: "),
        ({"recipients": ("ops",)}, "'ops' is not an email address ("),
    ],
    ids=["cron", "never", "timezone", "rows", "type", "email"],
)
def test_a_schedule_that_cannot_work_is_refused_in_one_sentence(empty_store, values, message):
    with pytest.raises(BadSchedule) as refused:
        empty_store.add_schedule(new(**values))
    assert str(refused.value).startswith(message)
    assert str(refused.value).endswith(".")
    assert "\n" not in str(refused.value)
    assert empty_store.schedules() == []


def test_a_schedule_runs_as_a_user_that_exists_and_its_name_is_its_own(empty_store):
    with pytest.raises(UnknownUser, match=r"^There is no user named 'bob'; "):
        empty_store.add_schedule(new(run_as="bob"))
    empty_store.add_schedule(new())
    with pytest.raises(BadSchedule, match=r"^A schedule named 'nightly' already exists; "):
        empty_store.add_schedule(new(cron="0 3 * * *"))
    assert [each.cron for each in empty_store.schedules()] == ["0 2 * * *"]


def test_the_store_keeps_a_schedule_as_given(empty_store):
    given = new(
        record_type="skill",
        rows="changed",
        all_or_nothing=True,
        recipients=("a@example.com", "b@example.com"),
        timezone="America/New_York",
    )
    kept = empty_store.add_schedule(given)
    assert dataclasses.replace(kept, id=None, created_at=None) == given
    assert kept.created_at is not None
    assert kept.last_fired_at is None
    assert not empty_store.enable_schedule("nightly", enabled=False).enabled
    assert empty_store.due_schedules(at("2999-01-01")) == []
    assert empty_store.enable_schedule("nightly").enabled
    empty_store.remove_schedule("nightly")
    assert empty_store.schedules() == []
    for change in (empty_store.remove_schedule, empty_store.get_schedule):
        with pytest.raises(UnknownSchedule, match=r"^There is no schedule named 'nightly'; "):
            change("nightly")


def test_a_cron_time_is_claimed_by_one_pass_only(empty_store):
    empty_store.add_schedule(new(cron="0 * * * *"))
    later = at("2999-01-01 10:30")
    other = Store(empty_store.url)  # another scheduler, with its own connections
    [(mine, tick)] = empty_store.due_schedules(later)
    [(theirs, same_tick)] = other.due_schedules(later)
    assert tick == same_tick == at("2999-01-01 10:00")
    assert empty_store.claim_tick(mine, tick)
    assert not other.claim_tick(theirs, same_tick)
    assert empty_store.get_schedule("nightly").last_fired_at == tick
    assert other.due_schedules(later) == []
    other.engine.dispose()


# --- passes -----------------------------------------------------------------------------------


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings whose inbox passes do not wait for files to settle."""
    return settings.model_copy(update={"inbox_settle_seconds": 0})


def test_two_passes_at_once_fire_a_schedule_once_and_submit_each_file_once(store, quick, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number in range(4):
        write_rows(inbox / f"f{number}.csv", [work_item(f"Queue {number}")])
    store.add_schedule(new(cron="* * * * *", inbox=str(inbox)))
    now = at("2999-01-01 00:00")
    stores = [Store(store.url) for _ in range(2)]
    results: list[list] = []
    start = threading.Barrier(2)

    def one_pass(own: Store) -> None:
        start.wait()
        results.append(run_due(own, quick, InProcessQueue(own, quick), now))

    threads = [threading.Thread(target=one_pass, args=(own,)) for own in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    passes = [each for result in results for each in result]
    assert len(passes) == 1
    batches = [batch for batch in store.history() if batch["source"] == "schedule"]
    assert sorted(batch["file_name"] for batch in batches) == [f"f{n}.csv" for n in range(4)]
    assert {batch["status"] for batch in batches} == {"succeeded"}
    assert sorted(path.name for path in (inbox / "processed").iterdir()) == [
        f"{batch['id']}-{batch['file_name']}" for batch in sorted(batches, key=lambda b: b["id"])
    ]
    for own in stores:
        own.engine.dispose()


def test_each_pass_first_marks_the_batches_of_dead_processes_interrupted(empty_store, quick):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = this_process().rpartition(":")[0]
    batch_id = empty_store.submit_batch(
        status="running",
        record_type="POC",
        file_name="a.csv",
        checksum="",
        source="schedule",
        user_name="admin",
        options={},
    )
    empty_store.update_batch(batch_id, worker=f"{host}:{dead.stdout.strip()}")
    assert run_due(empty_store, quick, InProcessQueue(empty_store, quick)) == []
    assert empty_store.batch(batch_id)["status"] == "interrupted"


def test_the_loop_sleeps_until_the_next_cron_time_but_looks_again_within_30_seconds(
    empty_store,
):
    assert seconds_to_next_tick(empty_store) == RESCAN_SECONDS
    empty_store.add_schedule(new(cron="* * * * * */2"))
    assert 1.5 < seconds_to_next_tick(empty_store, at("2999-01-01 00:00:00.5")) < 1.6
    empty_store.enable_schedule("nightly", enabled=False)
    empty_store.add_schedule(new("hourly", cron="0 * * * *"))
    assert seconds_to_next_tick(empty_store, at("2999-01-01 00:00:01")) == RESCAN_SECONDS


def test_a_schedule_whose_inbox_is_missing_is_reported_and_others_go_on(store, quick, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_rows(inbox / "a.csv", [poc()])
    store.add_schedule(new("gone", cron="* * * * *", inbox=str(tmp_path / "nowhere")))
    store.add_schedule(new("there", cron="* * * * *", inbox=str(inbox)))
    gone, there = run_due(store, quick, InProcessQueue(store, quick), at("2999-01-01"))
    assert gone.warning == (
        f"The inbox {tmp_path / 'nowhere'} of schedule 'gone' is not a folder that exists; "
        "the schedule looks again on its next run."
    )
    assert there.warning is None
    assert [line.split(" → ")[0] for line in there.lines()] == ["there: a.csv"]
    assert Path(store.history()[0]["inbox_path"]).parent == inbox / "processed"


def test_the_scheduler_loop_outlives_a_store_it_cannot_reach_and_stops_when_told(
    quick, tmp_path, caplog
):
    unreachable = Store(f"sqlite:///{tmp_path / 'no such folder' / 'bulkpoc.db'}")
    stop = threading.Event()
    loop = threading.Thread(
        target=run_forever, args=(unreachable, quick, InProcessQueue(unreachable, quick), stop)
    )
    with caplog.at_level(logging.ERROR, logger="bulkpoc.schedules.runner"):
        loop.start()
        while not caplog.records and loop.is_alive():
            time.sleep(0.01)
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(
            "The store could not be read or written (unable to open database file); trying again."
        )
    )
