"""The run history: a batch's life in the store, from queued to its result.

A batch is submitted (queued, with its file's bytes kept once per content), claimed by one
process (running, with its stage and a heartbeat), and finished with its result, row errors
and error file. A batch whose process died is found and marked interrupted.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from bulkpoc.domain.errors.codes import BATCH_INTERRUPTED
from bulkpoc.domain.result import BatchResult
from bulkpoc.store import bulk, schema
from bulkpoc.store.batch_queries import HistoryLookups, earlier_upload

T = TypeVar("T")

QUEUED, RUNNING, INTERRUPTED = "queued", "running", "interrupted"
ERROR_COLUMNS = ["batch_id", "row", "column", "value", "code", "message"]
SQLITE_BUSY_MS = 30_000  # how long an ordinary SQLite write waits for the write lock
# What runs in the transaction that records a new batch, with its id (submit_batch's ``then``).
Recorded = Callable[[Connection, int], None]


@dataclass(frozen=True)
class Waiting:
    """How long a batch waits for another batch to release the store, and whom it tells.

    ``notify(holder, seconds)`` is called about once a second while it waits; ``holder`` is
    the id of the batch that is running, when one is recorded.
    """

    timeout: float
    notify: Callable[[int | None, float], None] = lambda _holder, _seconds: None
    batch_id: int | None = None  # the waiting batch itself, never its own holder


def utcnow() -> dt.datetime:
    """Naive UTC with microseconds: what every timestamp column holds."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _compress_fast(connection: Connection) -> None:
    """On PostgreSQL, compress the rest of this transaction's large values with lz4 where the
    server has it: pglz took about 0.2 s of a batch's time to keep a 9 MB file, lz4 a quarter
    of that, for files a third larger. Servers without lz4 (or older than 14) keep pglz."""
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(
        "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
        "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    )


def this_process() -> str:
    """How a running batch names the process that runs it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RunHistory(HistoryLookups):
    """The batches part of ``Store``."""

    engine: Engine
    _write_when_free: Callable[..., Any]

    # --- files ------------------------------------------------------------------------------

    @staticmethod
    def _keep_file(connection: Connection, sha256: str, content: bytes) -> None:
        files = schema.files
        if connection.scalar(select(files.c.sha256).where(files.c.sha256 == sha256)):
            return
        _compress_fast(connection)
        try:
            with connection.begin_nested():
                values = {"sha256": sha256, "size": len(content), "created_at": utcnow()}
                bulk.insert_file(connection, files, values, content)
        except IntegrityError:
            pass  # another batch kept the same bytes a moment ago

    def file_content(self, sha256: str) -> bytes | None:
        """An uploaded file's bytes, by their SHA-256."""
        files = schema.files
        with self.engine.connect() as connection:
            return connection.scalar(select(files.c.content).where(files.c.sha256 == sha256))

    # --- a batch's life ---------------------------------------------------------------------

    def submit_batch(
        self,
        waiting: Waiting | None = None,
        content: bytes | None = None,
        status: str = QUEUED,
        inbox_claim: str | None = None,
        then: Recorded | None = None,
        **values: Any,
    ) -> int:
        """Record a new batch with its file's bytes; on SQLite this waits while another writes.

        With ``inbox_claim`` (a schedule's name), the file's content is claimed for that inbox
        in the same transaction; ``DuplicateContent`` says which batch claimed it first. With
        an ``upload_id`` in the options that the same user sent lately, nothing is recorded
        and the id of the batch that upload became is returned. ``then(connection, batch_id)``
        runs in the same transaction once a new batch is recorded (never for an earlier
        upload's): the job queue defers the batch's job there, so both exist or neither.
        """
        upload_id = values["options"].get("upload_id")

        def record(connection: Connection) -> int:
            if upload_id:
                first = earlier_upload(connection, values["user_name"], upload_id, utcnow())
                if first is not None:
                    return first
            if content is not None:
                self._keep_file(connection, values["checksum"], content)
            now = utcnow()
            started = (
                {"started_at": now, "heartbeat_at": now, "worker": this_process()}
                if status == RUNNING
                else {}
            )
            result = connection.execute(
                insert(schema.batches).values(
                    status=status, submitted_at=now, warnings=[], **started, **values
                )
            )
            batch_id = _new_id(result)
            if inbox_claim is not None:
                _claim_content(connection, inbox_claim, values, batch_id)
            if then is not None:
                then(connection, batch_id)
            return batch_id

        return self._write_when_free(record, waiting)

    def claim_batch(self, batch_id: int, waiting: Waiting | None = None) -> dict | None:
        """Mark a queued batch running in this process; None if it is not queued any more."""
        batches = schema.batches

        def claim(connection: Connection) -> bool:
            now = utcnow()
            claimed = connection.execute(
                batches.update()
                .where(batches.c.id == batch_id, batches.c.status == QUEUED)
                .values(status=RUNNING, started_at=now, heartbeat_at=now, worker=this_process())
            )
            return claimed.rowcount == 1

        return self.batch(batch_id) if self._write_when_free(claim, waiting) else None

    def requeue_batch(self, batch_id: int, waiting: Waiting | None = None) -> bool:
        """Queue an interrupted batch again; False if it was not interrupted."""
        batches = schema.batches

        def requeue(connection: Connection) -> bool:
            changed = connection.execute(
                batches.update()
                .where(batches.c.id == batch_id, batches.c.status == INTERRUPTED)
                .values(
                    status=QUEUED,
                    started_at=None,
                    finished_at=None,
                    failure=None,
                    failure_code=None,
                    worker=None,
                    stage=None,
                )
            )
            return changed.rowcount == 1

        return bool(self._write_when_free(requeue, waiting))

    def report_progress(self, batch_id: int, **values: Any) -> None:
        """Record a running batch's stage and heartbeat, in a short transaction of its own.

        It waits at most a fifth of a second for a lock, so a busy store makes it fail
        (``OperationalError``) rather than hold anything up.
        """
        batches = schema.batches
        with self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.exec_driver_sql("PRAGMA busy_timeout=200")
                connection.commit()  # the PRAGMA began a transaction: end it to begin ours
            try:
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                    connection.execute(
                        batches.update()
                        .where(batches.c.id == batch_id, batches.c.status == RUNNING)
                        .values(heartbeat_at=utcnow(), **values)
                    )
            finally:
                if sqlite:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")

    def interrupt_dead_batches(
        self, stale_after: float, alive: Callable[[int], bool] | None = None
    ) -> list[int]:
        """Mark interrupted every running batch whose process has died, and return their ids.

        On this machine a process is dead when its pid is gone; a batch run on another
        machine is dead when it has not reported for ``stale_after`` seconds. Its transaction
        died with it, so nothing of it was applied.
        """
        alive = alive or process_alive
        batches = schema.batches
        host = socket.gethostname()
        stale = utcnow() - dt.timedelta(seconds=stale_after)
        query = select(batches.c.id, batches.c.worker, batches.c.heartbeat_at).where(
            batches.c.status == RUNNING
        )
        with self.engine.connect() as connection:
            running = connection.execute(query).all()
        dead = []
        for batch_id, worker, heartbeat in running:
            worker_host, _, pid = (worker or "").rpartition(":")
            if worker_host == host and pid.isdigit():
                if not alive(int(pid)):
                    dead.append((batch_id, worker))
            elif heartbeat is None or heartbeat < stale:
                dead.append((batch_id, worker))
        return [batch_id for batch_id, worker in dead if self._interrupt(batch_id, worker)]

    def _interrupt(self, batch_id: int, worker: str | None) -> bool:
        batches = schema.batches

        def mark(connection: Connection) -> bool:
            changed = connection.execute(
                batches.update()
                .where(
                    batches.c.id == batch_id,
                    batches.c.status == RUNNING,
                    batches.c.worker == worker,
                )
                .values(
                    status=INTERRUPTED,
                    finished_at=utcnow(),
                    failure=BATCH_INTERRUPTED.message(worker=worker or "?", batch_id=batch_id),
                    failure_code=BATCH_INTERRUPTED.code,
                    **dict.fromkeys(("created", "updated"), 0),
                )
            )
            return changed.rowcount == 1

        return bool(self._write_when_free(mark, None))

    def running_batch(self, exclude: int | None = None) -> int | None:
        """The oldest batch recorded as running (other than ``exclude``), if any."""
        batches = schema.batches
        query = select(func.min(batches.c.id)).where(batches.c.status == RUNNING)
        if exclude is not None:
            query = query.where(batches.c.id != exclude)
        with self.engine.connect() as connection:
            return connection.scalar(query)

    # --- results ----------------------------------------------------------------------------

    def record_result(
        self,
        result: BatchResult,
        waiting: Waiting | None = None,
        connection: Connection | None = None,
    ) -> None:
        """Record a batch's outcome and every row error.

        Given the batch's own ``connection``, it is recorded in that transaction, so what the
        batch applied and what the run history says of it commit together, and it never waits
        for the next batch. Otherwise in a transaction of its own, waiting for the store.
        """
        if connection is not None:
            self._write_result(connection, result)
            return
        self._write_when_free(lambda own: self._write_result(own, result), waiting)

    def _write_result(self, connection: Connection, result: BatchResult) -> None:
        assert result.batch_id is not None, "only a recorded batch has a result to record"
        batches, errors = schema.batches, schema.batch_errors
        connection.execute(
            batches.update()
            .where(batches.c.id == result.batch_id)
            .values(
                status=result.status.value,
                finished_at=result.finished_at,
                failure=result.failure,
                failure_code=result.failure_code,
                warnings=result.warnings,
                timings=result.timings,
                changes_summary=result.changes.model_dump() if result.changes else None,
                file_type=result.file_type,
                report_path=result.reports.html,
                error_file_path=result.reports.error_file,
                email_path=result.reports.email,
                stage=None,
                **result.counts.as_dict(),
            )
        )
        connection.execute(delete(errors).where(errors.c.batch_id == result.batch_id))
        # A file of bad rows can hold hundreds of thousands of errors: plain tuples, in bulk.
        rows = [
            (result.batch_id, error.row, error.column, error.value, error.code, error.message)
            for error in result.errors
        ]
        if rows:
            bulk.insert(connection, errors, ERROR_COLUMNS, [rows])

    @staticmethod
    def keep_batch_file(
        connection: Connection, batch_id: int, kind: str, name: str, content: bytes
    ) -> None:
        """Keep a document of the batch (its error file) for any process to serve."""
        files = schema.batch_files
        connection.execute(delete(files).where(files.c.batch_id == batch_id, files.c.kind == kind))
        values = {"batch_id": batch_id, "kind": kind, "name": name}
        bulk.insert_file(connection, files, values, content)

    def batch_file(self, batch_id: int, kind: str) -> tuple[str, bytes] | None:
        files = schema.batch_files
        query = select(files.c.name, files.c.content).where(
            files.c.batch_id == batch_id, files.c.kind == kind
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return (row.name, row.content) if row else None

    def update_batch(self, batch_id: int, waiting: Waiting | None = None, **values: Any) -> None:
        """Change a batch's record in a transaction of its own (waiting for the store)."""
        batches = schema.batches
        self._write_when_free(
            lambda connection: connection.execute(
                batches.update().where(batches.c.id == batch_id).values(**values)
            ),
            waiting,
        )


class DuplicateContent(Exception):
    """The inbox already received these bytes, in batch ``first``."""

    def __init__(self, first: int) -> None:
        super().__init__(first)
        self.first = first


def _claim_content(connection: Connection, inbox: str, values: dict, batch_id: int) -> None:
    claims = schema.inbox_files
    key = (claims.c.schedule_name == inbox) & (claims.c.sha256 == values["checksum"])
    first = connection.scalar(select(claims.c.batch_id).where(key))
    if first is None:
        try:
            with connection.begin_nested():
                connection.execute(
                    insert(claims).values(
                        schedule_name=inbox,
                        sha256=values["checksum"],
                        batch_id=batch_id,
                        file_name=values["file_name"],
                        received_at=utcnow(),
                    )
                )
            return
        except IntegrityError:
            first = connection.scalar(select(claims.c.batch_id).where(key))
    assert first is not None, "a claim that conflicts exists"
    raise DuplicateContent(int(first))


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process on this machine (a zombie is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None, "INSERT returned no primary key"
    return int(key[0])
