"""Schedules in the store, and which of them are due.

A schedule fires once per cron time however many schedulers run: a pass claims a tick with a
compare-and-set on ``last_fired_at``, so of two schedulers that read the same value only the
first one's UPDATE matches. The database does the arbitration; there is no lock of our own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from bulkpoc.domain.limits import normalised
from bulkpoc.domain.schedule import BadSchedule, Schedule, UnknownSchedule, check
from bulkpoc.store import schema
from bulkpoc.store.batches import utcnow


class ScheduleBook:
    """The schedules part of ``Store``."""

    engine: Engine
    _write_when_free: Callable[..., Any]
    get_user: Callable[..., Any]
    get_mapping: Callable[..., Any]

    def add_schedule(self, schedule: Schedule) -> Schedule:
        """Keep a new schedule, or refuse it in one sentence (``BadSchedule``, ``UnknownUser``)."""
        _check(schedule)
        self.get_user(schedule.run_as)
        self.check_schedule_mapping(schedule)
        values = _columns(schedule)
        values.update(created_at=utcnow(), last_fired_at=None)
        values.pop("id")

        def add(connection: Connection) -> None:
            connection.execute(insert(schema.schedules).values(**values))

        try:
            self._write_when_free(add, None)
        except IntegrityError:
            raise BadSchedule(
                f"A schedule named {schedule.name!r} already exists; remove it first or choose "
                "another name."
            ) from None
        return self.get_schedule(schedule.name)

    def check_schedule_mapping(self, schedule: Schedule) -> None:
        """A schedule's mapping must be saved, and be one for the schedule's record type."""
        if not schedule.mapping:
            return
        saved = self.get_mapping(schedule.mapping)
        if saved.record_type != schedule.record_type:
            raise BadSchedule(
                f"The mapping {schedule.mapping!r} reads {saved.record_type} files, not "
                f"{schedule.record_type} files."
            )

    def schedules(self, enabled_only: bool = False) -> list[Schedule]:
        """Every schedule, by name."""
        table = schema.schedules
        query = select(table).order_by(table.c.name)
        if enabled_only:
            query = query.where(table.c.enabled.is_(True))
        with self.engine.connect() as connection:
            return [_schedule(row._mapping) for row in connection.execute(query)]

    def get_schedule(self, name: str) -> Schedule:
        table = schema.schedules
        with self.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.name == name)).first()
        if row is None:
            raise UnknownSchedule(name)
        return _schedule(row._mapping)

    def schedule_by_id(self, schedule_id: int) -> Schedule:
        """The schedule with this id (the Administration pages' URLs name schedules by id)."""
        table = schema.schedules
        found = None
        if 0 < schedule_id <= schema.MAX_ID:
            with self.engine.connect() as connection:
                found = connection.execute(select(table).where(table.c.id == schedule_id)).first()
        if found is None:
            raise UnknownSchedule(f"#{schedule_id}")
        return _schedule(found._mapping)

    def update_schedule(self, schedule: Schedule) -> Schedule:
        """Keep new settings for the schedule with ``schedule.id``, checked as ``add_schedule``
        checks a new one; its name, when it was added and when it last fired stay."""
        _check(schedule)
        self.get_user(schedule.run_as)
        self.check_schedule_mapping(schedule)
        table = schema.schedules
        values = _columns(schedule)
        for kept in ("id", "name", "enabled"):
            values.pop(kept)

        def change(connection: Connection) -> int:
            update = table.update().where(table.c.id == schedule.id).values(**values)
            return int(connection.execute(update).rowcount)

        if not self._write_when_free(change, None):
            raise UnknownSchedule(schedule.name)
        return self.get_schedule(schedule.name)

    def remove_schedule(self, name: str) -> None:
        """Forget a schedule. Its batches stay in the run history, and what its inbox received
        stays known, so a schedule added again under that name still skips old content."""
        table = schema.schedules

        def remove(connection: Connection) -> int:
            return int(connection.execute(delete(table).where(table.c.name == name)).rowcount)

        if not self._write_when_free(remove, None):
            raise UnknownSchedule(name)

    def enable_schedule(self, name: str, enabled: bool = True) -> Schedule:
        table = schema.schedules

        def change(connection: Connection) -> int:
            update = table.update().where(table.c.name == name).values(enabled=enabled)
            return int(connection.execute(update).rowcount)

        if not self._write_when_free(change, None):
            raise UnknownSchedule(name)
        return self.get_schedule(name)

    def due_schedules(self, now: dt.datetime) -> list[tuple[Schedule, dt.datetime]]:
        """The enabled schedules due at ``now`` (naive UTC), each with the tick to claim."""
        due = []
        for schedule in self.schedules(enabled_only=True):
            tick = schedule.due_tick(now)
            if tick is not None:
                due.append((schedule, tick))
        return due

    def claim_tick(self, schedule: Schedule, tick: dt.datetime) -> bool:
        """Record that ``schedule`` fired for ``tick``; False if another pass already did.

        ``schedule`` is as it was read: the UPDATE matches only while ``last_fired_at`` still
        holds that value, so of two passes that read it, exactly one wins.
        """
        table = schema.schedules

        def claim(connection: Connection) -> bool:
            update = (
                table.update()
                .where(
                    table.c.id == schedule.id,
                    table.c.last_fired_at.is_not_distinct_from(schedule.last_fired_at),
                )
                .values(last_fired_at=tick)
            )
            return connection.execute(update).rowcount == 1

        return bool(self._write_when_free(claim, None))


def _check(schedule: Schedule) -> None:
    check(
        schedule.name,
        schedule.cron,
        schedule.timezone,
        schedule.record_type,
        schedule.rows,
        schedule.recipients,
        schedule.max_failed,
    )


def _columns(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "inbox": schedule.inbox,
        "record_type": schedule.record_type,
        "rows": schedule.rows,
        "all_or_nothing": schedule.all_or_nothing,
        "max_failed": normalised(schedule.max_failed),
        "hold_for_approval": schedule.hold_for_approval,
        "recipients": list(schedule.recipients),
        "run_as": schedule.run_as,
        "enabled": schedule.enabled,
        "mapping": schedule.mapping or None,
    }


def _schedule(row: Any) -> Schedule:
    values = dict(row)
    values["recipients"] = tuple(values["recipients"] or ())
    return Schedule(**values)
