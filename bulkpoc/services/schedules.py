"""Adding and changing a schedule with its inbox folder, and its run times as people read
them: one use case each, for ``bulkpoc schedule`` and the Schedules page alike."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from bulkpoc.domain.schedule import BadSchedule, Schedule, check, local_time
from bulkpoc.store.db import Store, utcnow

TIME_FORMAT = "%Y-%m-%d %H:%M:%S %Z"


def add_schedule(store: Store, schedule: Schedule) -> Schedule:
    """Keep a new schedule and create its inbox folder; if the folder cannot be made, the
    schedule is not kept (``BadSchedule``), so no schedule watches a folder that is not there."""
    added = store.add_schedule(schedule)
    try:
        _make_inbox(schedule.inbox)
    except BadSchedule:
        store.remove_schedule(schedule.name)
        raise
    return added


def change_schedule(store: Store, schedule: Schedule) -> Schedule:
    """Keep new settings for an existing schedule (by ``schedule.id``), creating its inbox
    folder if it moved; refused as a new one would be, before anything is written."""
    check(
        schedule.name,
        schedule.cron,
        schedule.timezone,
        schedule.record_type,
        schedule.rows,
        schedule.recipients,
        schedule.max_failed,
    )
    store.get_user(schedule.run_as)
    store.check_schedule_mapping(schedule)
    _make_inbox(schedule.inbox)
    return store.update_schedule(schedule)


def set_enabled(store: Store, name: str, enabled: bool) -> Schedule:
    """Run the schedule on time again, or stop running it on time (it stays, and "run now"
    still runs it)."""
    return store.enable_schedule(name, enabled=enabled)


def next_run(schedule: Schedule, now: dt.datetime | None = None) -> str:
    """When it runs next, on its own clock; "disabled" when it does not run on time."""
    if not schedule.enabled:
        return "disabled"
    return shown(schedule.next_tick(now or utcnow()), schedule.timezone)


def last_run(schedule: Schedule) -> str:
    """The last cron time it ran for, on its own clock; "never" before its first."""
    if schedule.last_fired_at is None:
        return "never"
    return shown(schedule.last_fired_at, schedule.timezone)


def shown(moment: dt.datetime, timezone: str) -> str:
    """A stored (naive UTC) time as a schedule's clock reads it, with the zone's name."""
    return local_time(moment, timezone).strftime(TIME_FORMAT)


def with_inbox(schedule: Schedule, inbox: Path) -> Schedule:
    """The schedule watching ``inbox``, given as its full path (``~`` expanded)."""
    return dataclasses.replace(schedule, inbox=str(inbox.expanduser().resolve()))


def _make_inbox(inbox: str) -> None:
    folder = Path(inbox)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadSchedule(
            f"Cannot create the inbox folder {folder} ({error.strerror}), so the schedule "
            "was not saved."
        ) from None
