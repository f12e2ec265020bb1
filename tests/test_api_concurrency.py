"""API uploads sent at once to a real server process (issue 22, defects 14 and 15): every
upload answers 202 with its batch, each batch gets exactly one job, and the same
``Idempotency-Key`` sent many times at once is one batch with one job and one answer.

The server is ``bulkpoc serve`` (uvicorn) on loopback, on the test's real store and real queue
(procrastinate on PostgreSQL; the server's own runner on SQLite).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.jobs.queue import queue_for
from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store
from bulkpoc.web.app import create_app
from tests.browser import Server, running_server
from tests.conftest import write_rows
from tests.test_jobs import on_postgres
from tests.web import PATIENCE, run_workers

PORTS = range(8300, 8400)  # this suite's loopback ports, clear of the other servers'
AT_ONCE = 20
UPLOAD_SECONDS = 60  # an answer later than this is a hung server, not a slow one


def port_in_range() -> int:
    """A free port of this pytest-xdist worker's share of PORTS: two workers probing the same
    port before either server binds it would start both there, and one test would talk to the
    other's server."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    for port in PORTS[worker::workers]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {PORTS}")


@pytest.fixture
def server(store: Store, tmp_path: Path) -> Iterator[Server]:
    with running_server(store.url, tmp_path, port_in_range()) as running:
        yield running
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log


@pytest.fixture
def token(store: Store) -> str:
    return create_token(store, "partner", "admin")


def pocs_file(folder: Path, n: int) -> Path:
    """A CSV of one new Email POC of its own."""
    row = {
        "Name": f"Mailbox {n}",
        "Media Type": "Email",
        "Point of Contact": f"user{n}@example.com",
        "Skill": "Email Support",
        "Script": "Email Router",
    }
    return write_rows(folder / f"mailbox-{n}.csv", [row])


def upload(server: Server, token: str, path: Path, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    with path.open("rb") as handle:
        return httpx.post(
            f"{server.url}/api/v1/batches",
            files={"file": (path.name, handle.read())},
            headers=headers,
            timeout=UPLOAD_SECONDS,
        )


def at_once(server: Server, token: str, sends: Sequence[tuple[Path, str | None]]) -> list:
    """Send every upload at the same moment, each from a thread of its own; their answers
    (or the exception a send raised), in order."""
    answers: list = [None] * len(sends)
    start = threading.Barrier(len(sends))

    def send(index: int, path: Path, key: str | None) -> None:
        start.wait()
        try:
            answers[index] = upload(server, token, path, key)
        except httpx.HTTPError as error:
            answers[index] = error

    threads = [threading.Thread(target=send, args=(index, *one)) for index, one in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(UPLOAD_SECONDS * 2)
    return answers


def statuses(answers: list) -> list:
    return [a.status_code if isinstance(a, httpx.Response) else repr(a) for a in answers]


def jobs_per_batch(store: Store) -> dict[int, int]:
    """How many jobs the queue holds for each batch (PostgreSQL)."""
    from bulkpoc.jobs.worker import PROCESS_BATCH  # the postgres extra: only on PostgreSQL

    query = text(
        "SELECT (args ->> 'batch_id')::int, count(*) FROM procrastinate_jobs "
        "WHERE task_name = :task GROUP BY 1"
    )
    with store.engine.connect() as connection:
        return dict(connection.execute(query, {"task": PROCESS_BATCH}).all())


def wait_until_run(
    server: Server, token: str, store: Store, settings: Settings, batch_ids: set[int]
) -> None:
    """Have every batch run (a worker on PostgreSQL, the server itself on SQLite)."""
    run_workers(store, settings)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
        for batch_id in batch_ids:
            for _ in range(PATIENCE * 10):
                if api.get(f"/api/v1/batches/{batch_id}/progress").json()["finished"]:
                    break
                threading.Event().wait(0.1)
            else:
                raise AssertionError(f"batch {batch_id} did not finish")


def test_uploads_sent_at_once_each_get_their_batch_and_one_job(
    store, settings, server, token, tmp_path
):
    before = store.count_history()
    files = [(pocs_file(tmp_path, n), None) for n in range(AT_ONCE)]

    answers = at_once(server, token, files)

    assert statuses(answers) == [202] * AT_ONCE
    batch_ids = [answer.json()["batch_id"] for answer in answers]
    assert len(set(batch_ids)) == AT_ONCE
    # The server keeps answering after the burst.
    after = upload(server, token, pocs_file(tmp_path, AT_ONCE))
    assert after.status_code == 202, after.text
    batch_ids.append(after.json()["batch_id"])
    assert store.count_history() == before + AT_ONCE + 1
    if store.engine.dialect.name == "postgresql":
        assert jobs_per_batch(store) == dict.fromkeys(batch_ids, 1)
    wait_until_run(server, token, store, settings, set(batch_ids))
    assert {store.batch(batch_id)["status"] for batch_id in batch_ids} == {"succeeded"}


def test_one_idempotency_key_sent_at_once_is_one_batch_with_one_job(
    store, settings, server, token, tmp_path
):
    before = store.count_history()
    same = pocs_file(tmp_path, 1)
    other = pocs_file(tmp_path, 2)  # another file under the same key: still the first batch
    sends = [(same, "order-17")] * 6 + [(other, "order-17")]

    answers = at_once(server, token, sends)

    assert statuses(answers) == [202] * len(sends)
    assert len({answer.json()["batch_id"] for answer in answers}) == 1
    assert len({answer.headers["location"] for answer in answers}) == 1
    assert store.count_history() == before + 1
    batch_id = answers[0].json()["batch_id"]
    if store.engine.dialect.name == "postgresql":
        assert jobs_per_batch(store) == {batch_id: 1}
    wait_until_run(server, token, store, settings, {batch_id})
    assert store.batch(batch_id)["status"] == "succeeded"
    again = upload(server, token, same, "order-17")  # later, once it ran: the same batch
    assert (again.status_code, again.json()["batch_id"]) == (202, batch_id)
    if store.engine.dialect.name == "postgresql":
        assert sum(jobs_per_batch(store).values()) <= 1  # a worker deletes a successful job


@on_postgres[0]
@on_postgres[1]
def test_an_upload_the_queue_cannot_take_is_not_stored(store, settings, token, tmp_path):
    before = store.count_history()
    with store.engine.begin() as connection:  # the queue's table is gone: deferring fails
        connection.exec_driver_sql("ALTER TABLE procrastinate_jobs RENAME TO jobs_away")
    try:
        app = create_app(settings, store)
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(app, headers=auth, raise_server_exceptions=False) as api:
            refused = api.post(
                "/api/v1/batches", files={"file": ("one.csv", pocs_file(tmp_path, 1).read_bytes())}
            )
    finally:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE jobs_away RENAME TO procrastinate_jobs")
    assert store.count_history() == before  # no batch left behind without its job
    assert refused.status_code == 503, refused.text
    assert refused.json()["detail"] == (
        "The job queue could not take the batch, so nothing was stored; send the file again."
    )


def test_every_queue_records_and_queues_an_upload_key_once(store, settings, tmp_path):
    """The queue a scheduler or a command gets (``queue_for``): on SQLite it runs the batch
    here, once; on PostgreSQL it defers one job with the batch."""
    queue = queue_for(store, settings)
    options = ImportOptions(source="api", user="admin", upload_id="order-17")
    first = queue.submit(pocs_file(tmp_path, 1), options)
    again = queue.submit(pocs_file(tmp_path, 2), options)
    assert again == first
    assert [b["id"] for b in store.history() if b["source"] == "api"] == [first]
    if store.engine.dialect.name == "postgresql":
        assert jobs_per_batch(store) == {first: 1}
    else:
        assert store.batch(first)["status"] == "succeeded"
