"""Helpers for tests of the web app and the API: a client of the real app, and a worker.

On SQLite the app runs each submitted batch in a thread of its own; on PostgreSQL a batch waits
for a worker, which ``run_workers`` starts for real (``bulkpoc worker --until-empty``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from bulkpoc.config import Settings
from bulkpoc.store.db import Store
from bulkpoc.web.app import create_app

PATIENCE = 120  # seconds a test waits for a batch; a bound against hanging, not a speed test


@contextmanager
def api_client(store: Store, settings: Settings, token: str | None = None) -> Iterator[TestClient]:
    """A client of the whole app (lifespan, middleware), sending ``token`` as a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(create_app(settings, store), headers=headers) as client:
        yield client


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, as ``bulkpoc serve`` does; its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start in time"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(PATIENCE)


def run_workers(store: Store, settings: Settings) -> None:
    """PostgreSQL: run the queued batches in a real worker process. SQLite: the app does."""
    if store.engine.dialect.name != "postgresql":
        return
    env = {
        **os.environ,
        "BULKPOC_REPORT_DIR": str(settings.report_dir),
        "BULKPOC_OUTBOX_DIR": str(settings.outbox_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bulkpoc", "--db", store.url, "worker", "--until-empty"],
        capture_output=True,
        text=True,
        env=env,
        timeout=PATIENCE,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def poll_until_finished(client: TestClient, batch_id: int) -> list[dict]:
    """Poll the batch's progress as a partner would; every answer, the last one finished."""
    seen = []
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/batches/{batch_id}/progress")
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if seen[-1]["finished"]:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish: {seen[-1]}")
