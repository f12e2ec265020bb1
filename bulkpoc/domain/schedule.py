"""A schedule: when an inbox folder is looked at, and how its files are uploaded.

Cron expressions are parsed by croniter and evaluated in the schedule's own time zone, so
``0 9 * * mon-fri`` in ``Europe/Paris`` means nine o'clock in Paris, summer and winter. Every
time the store holds is naive UTC; ticks are converted at this module's edge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.limits import normalised
from bulkpoc.domain.options import ImportOptions, RecordTypeName, RowsMode

ROWS_MODES = ("all", "changed")
RECORD_TYPE_NAMES = get_args(RecordTypeName)
NAME_LENGTH = 100
_JUST_AFTER = dt.timedelta(microseconds=1)


class BadSchedule(BulkpocError):
    """A schedule that cannot be kept as given: a bad cron expression, time zone, name…"""

    code = "bad_schedule"


class UnknownSchedule(BulkpocError):
    """No schedule has the given name."""

    code = "unknown_schedule"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is no schedule named {name!r}; `bulkpoc schedule list` shows them."
        )


@dataclass(frozen=True)
class Schedule:
    """One schedule as the store keeps it. Times are naive UTC."""

    name: str
    cron: str
    timezone: str
    inbox: str
    record_type: str = "poc"
    rows: RowsMode = "all"
    all_or_nothing: bool = False
    max_failed: str | None = None  # stop when too much fails: "10" rows or "5%" of the rows
    hold_for_approval: bool = False  # run each file as a dry run that a person then applies
    recipients: tuple[str, ...] = ()
    run_as: str = "admin"
    enabled: bool = True
    mapping: str | None = None  # the saved column mapping each file is read through, by name
    created_at: dt.datetime | None = None
    last_fired_at: dt.datetime | None = None
    id: int | None = None

    def options(self) -> ImportOptions:
        """How each file of the inbox is uploaded."""
        return ImportOptions(
            record_type=self.record_type,
            rows=self.rows,
            all_or_nothing=self.all_or_nothing,
            max_failed=self.max_failed,
            dry_run=self.hold_for_approval,
            hold_for_approval=self.hold_for_approval,
            user=self.run_as,
            notify=self.recipients,
            source="schedule",
            mapping_name=self.mapping,
        )

    def latest_tick(self, now: dt.datetime) -> dt.datetime:
        """The latest cron time at or before ``now``.

        croniter's backward step skips the repeated hour of a fall-back day (01:00 EST after
        01:00 EDT) that its forward step lists, so the step back is only a start: from there,
        forward steps reach the latest time at or before ``now``.
        """
        ticks = _ticks(self.cron, local_time(now, self.timezone) + _JUST_AFTER)
        latest = _utc(ticks.get_prev(dt.datetime))
        while (following := self.next_tick(latest)) <= now:
            latest = following
        return latest

    def next_tick(self, now: dt.datetime) -> dt.datetime:
        """The first cron time after ``now``."""
        return _utc(_ticks(self.cron, local_time(now, self.timezone)).get_next(dt.datetime))

    def due_tick(self, now: dt.datetime) -> dt.datetime | None:
        """The cron time to fire for at ``now``, or None when the schedule is not due.

        A new schedule waits for its first cron time after it was added; ticks missed while
        nothing ran are fired once, as the latest of them.
        """
        if not self.enabled:
            return None
        fired_up_to = self.last_fired_at or self.created_at
        latest = self.latest_tick(now)
        return latest if fired_up_to is None or latest > fired_up_to else None


def check(
    name: str,
    cron: str,
    timezone: str,
    record_type: str,
    rows: str,
    recipients: Iterable[str],
    max_failed: str | None = None,
) -> None:
    """Refuse, in one sentence, what a schedule cannot be kept with (the user is the store's
    to check)."""
    if not name.strip() or len(name) > NAME_LENGTH:
        raise BadSchedule(f"A schedule name must be 1 to {NAME_LENGTH} characters, not {name!r}.")
    check_cron(cron)
    check_timezone(timezone)
    if record_type not in RECORD_TYPE_NAMES:
        raise BadSchedule(
            f"Unknown record type {record_type!r}; choose from: "
            + ", ".join(RECORD_TYPE_NAMES)
            + "."
        )
    if rows not in ROWS_MODES:
        raise BadSchedule(f"Rows to Include must be 'all' or 'changed', not {rows!r}.")
    for address in recipients:
        check_email(address)
    try:
        normalised(max_failed)
    except ValueError as error:
        raise BadSchedule(str(error)) from None


def _ticks(expression: str, start: dt.datetime) -> Any:
    """croniter's iterator over ``expression`` from ``start``.

    Imported here, not with this module (which the store imports): importing croniter runs
    ``platform.architecture()``, which starts the ``file`` program, and every command paid it.
    """
    from croniter import croniter

    return croniter(expression, start)


def check_cron(expression: str) -> None:
    """Parse ``expression`` as croniter does, and make sure it ever fires."""
    from croniter import CroniterBadCronError, CroniterBadDateError  # as _ticks says: start-up

    try:
        _ticks(expression, dt.datetime(2000, 1, 1)).get_next(dt.datetime)
    except CroniterBadDateError:
        raise BadSchedule(f"The cron expression {expression!r} never matches a date.") from None
    except (CroniterBadCronError, ValueError, KeyError) as error:
        reason = str(error).removeprefix(f"[{expression}] is ").rstrip(".")
        raise BadSchedule(
            f"{expression!r} is not a valid cron expression ({reason[:1].lower() + reason[1:]}); "
            "write minute hour day-of-month month day-of-week, e.g. '*/15 * * * *'."
        ) from None


def check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadSchedule(
            f"{name!r} is not a time zone; use an IANA name such as 'Europe/Paris' or 'UTC'."
        ) from None


def check_email(address: str) -> None:
    import email_validator  # only schedules with recipients need it

    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        reason = str(error).rstrip(".")
        raise BadSchedule(
            f"{address!r} is not an email address ({reason[:1].lower() + reason[1:]})."
        ) from None


def local_time(moment: dt.datetime, timezone: str) -> dt.datetime:
    """A stored (naive UTC) time in a time zone: how a schedule's clock reads it."""
    return moment.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone))


def _utc(moment: dt.datetime) -> dt.datetime:
    return cast(dt.datetime, moment.astimezone(dt.UTC).replace(tzinfo=None))
