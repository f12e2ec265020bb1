"""Firing schedules on time: one pass (``schedule run-due``) or a loop (``bulkpoc scheduler``).

Several schedulers may run against one PostgreSQL store, for redundancy: each due schedule is
fired by whichever pass claims its cron time first (``Store.claim_tick``), and each file by
whichever claims it first (``schedules.inbox``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import StoreBusy
from bulkpoc.jobs.queue import JobQueue
from bulkpoc.jobs.tasks import housekeeping
from bulkpoc.schedules.inbox import PassResult, process_inbox
from bulkpoc.services.history import apply_retention
from bulkpoc.store.db import Store, utcnow

# How long the loop sleeps at most before it reads the schedules again, so that a schedule
# added, changed or enabled while it runs is picked up.
RESCAN_SECONDS = 30.0
# Wake just after a cron time, never just before it.
_MARGIN_SECONDS = 0.01

log = logging.getLogger(__name__)


def run_due(
    store: Store,
    settings: Settings,
    queue: JobQueue,
    now: dt.datetime | None = None,
    stop: threading.Event | None = None,
) -> list[PassResult]:
    """Fire every schedule due at ``now`` (naive UTC; default: the clock) once.

    A schedule another scheduler has just fired for the same cron time is left to it. Once
    ``stop`` is set, no further schedule or file is started.
    """
    before_each_pass(store, settings)
    results = []
    for schedule, tick in store.due_schedules(now or utcnow()):
        if stop is not None and stop.is_set():
            break
        if store.claim_tick(schedule, tick):
            results.append(process_inbox(store, settings, queue, schedule, stop))
    return results


def before_each_pass(store: Store, settings: Settings) -> None:
    """What every pass does first, whether or not a schedule is due; and once a day, with
    ``changes_retention_days`` set, retention (whichever scheduler's pass comes first)."""
    housekeeping(store, settings)
    apply_retention(store, settings)


def run_forever(
    store: Store,
    settings: Settings,
    queue: JobQueue,
    stop: threading.Event,
    on_pass: Callable[[list[PassResult]], None] | None = None,
) -> None:
    """Fire schedules on time until ``stop`` is set; ``on_pass`` hears what each pass did.

    A pass the store cannot serve (the database is down, or SQLite held by a long batch) is
    reported and tried again rather than ending the scheduler.
    """
    while not stop.is_set():
        try:
            results = run_due(store, settings, queue, stop=stop)
            wait = seconds_to_next_tick(store)
        except (SQLAlchemyError, StoreBusy) as error:
            reason = getattr(error, "orig", None) or error
            log.error("The store could not be read or written (%s); trying again.", reason)
            results, wait = [], RESCAN_SECONDS
        if on_pass is not None and results:
            on_pass(results)
        stop.wait(wait)


def seconds_to_next_tick(store: Store, now: dt.datetime | None = None) -> float:
    """How long to sleep: until the next cron time of any enabled schedule, at most
    ``RESCAN_SECONDS``."""
    now = now or utcnow()
    ticks = [schedule.next_tick(now) for schedule in store.schedules(enabled_only=True)]
    if not ticks:
        return RESCAN_SECONDS
    wait = (min(ticks) - now).total_seconds() + _MARGIN_SECONDS
    return min(max(wait, 0.0), RESCAN_SECONDS)
