"""Fixtures: a fresh real store per test (SQLite always, PostgreSQL when configured).

Set BULKPOC_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
store-backed test on PostgreSQL as well; scripts/test.py sets it when a server answers.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import RowError
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult
from bulkpoc.services.auth import create_token
from bulkpoc.services.demo import load_demo_reference_data
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from tests.cli import Bulkpoc, command_in
from tests.web import api_client

# The browser tests' Chromium, demo server and pages (tests/browser_fixtures.py).
pytest_plugins = ["tests.browser_fixtures"]


def _worker_url(url: str | None) -> str | None:
    """Under pytest-xdist each worker has a database of its own (``test_gw0`` from ``test``):
    a store test drops and recreates its database (so creates it), which must not be another
    worker's; the templates are named after it too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{url}_{worker}" if url and worker else url


POSTGRES_URL = _worker_url(os.environ.get("BULKPOC_TEST_POSTGRES_URL"))
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]
# For what only PostgreSQL has (its job queue, workers sharing a store): that backend only.
on_postgres = [
    pytest.mark.skipif(not POSTGRES_URL, reason="set BULKPOC_TEST_POSTGRES_URL"),
    pytest.mark.parametrize("backend_store", ["postgresql"], indirect=True),
]
POC_HEADERS = RECORD_TYPES["poc"].headers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (scripts/test.py: ``--dist loadgroup``), a module whose tests share a
    module-scoped fixture (a server, a browser) runs in one worker, which starts it once."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info else []
        if any(d.scope == "module" for defs in definitions for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))  # type: ignore[attr-defined]


def _maintenance(url: str):
    """An autocommit connection to the server's ``postgres`` database, for CREATE DATABASE."""
    import psycopg

    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def _database(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _build(store: Store, settings: Settings, demo: bool) -> None:
    """What every store-backed test starts from: the admin user and, for ``demo``, the demo data."""
    store.initialise()
    store.add_user("admin", PERMISSIONS, email="admin@example.com")
    if demo:
        for result in load_demo_reference_data(store, settings):
            assert result.status.value == "succeeded", result.failure or result.errors
    store.engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], str]:
    """Each backend's starting states, built once through the real migrations and pipeline.

    A test's store is a copy (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on
    PostgreSQL), which costs a few milliseconds instead of the migrations and four imports.
    """
    folder = tmp_path_factory.mktemp("store-templates")
    settings = Settings.from_env({}).model_copy(
        update={"report_dir": folder / "reports", "outbox_dir": folder / "outbox"}
    )
    built: dict[tuple[str, bool], str] = {}
    for demo in (False, True):
        name = "demo" if demo else "empty"
        path = folder / f"{name}.db"
        _build(Store(f"sqlite:///{path}"), settings, demo)
        built["sqlite", demo] = str(path)
        if POSTGRES_URL:
            template = f"{_database(POSTGRES_URL)}_template_{name}"
            with _maintenance(POSTGRES_URL) as server:
                server.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
                server.execute(f'CREATE DATABASE "{template}"')
            _build(Store(POSTGRES_URL.rsplit("/", 1)[0] + "/" + template), settings, demo)
            built["postgresql", demo] = template
    return built


def _copy_store(store: Store, backend: str, template: str, path: Path) -> None:
    """Make ``store``'s database a fresh copy of ``template``."""
    store.engine.dispose()
    if backend == "sqlite":
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, path)
        return
    assert POSTGRES_URL
    database = _database(POSTGRES_URL)
    with _maintenance(POSTGRES_URL) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}" STRATEGY WAL_LOG')
        # A test's commit need not wait for the disk (a few ms each): nothing here outlives a
        # server crash, and a commit is as visible to other sessions as with the wait.
        server.execute(f'ALTER DATABASE "{database}" SET synchronous_commit = off')


@pytest.fixture(params=BACKENDS)
def backend_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A Store on each backend, not yet holding anything: empty_store or store fills it."""
    path = tmp_path / "test.db"
    store = Store(POSTGRES_URL if request.param == "postgresql" else f"sqlite:///{path}")
    store.backend = request.param  # type: ignore[attr-defined]
    yield store
    store.engine.dispose()


def _filled(store: Store, tmp_path: Path, template: str) -> Store:
    _copy_store(store, store.backend, template, tmp_path / "test.db")  # type: ignore[attr-defined]
    return store


@pytest.fixture
def empty_store(
    backend_store: Store, tmp_path: Path, templates: dict[tuple[str, bool], str]
) -> Store:
    """An initialised store with the admin user (every permission) and nothing else."""
    return _filled(backend_store, tmp_path, templates[backend_store.backend, False])  # type: ignore[attr-defined]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}).model_copy(
        update={"report_dir": tmp_path / "reports", "outbox_dir": tmp_path / "outbox"}
    )


@pytest.fixture
def store(backend_store: Store, tmp_path: Path, templates: dict[tuple[str, bool], str]) -> Store:
    """A store with the demo reference data (skills, scripts, chat profiles, numbers)."""
    return _filled(backend_store, tmp_path, templates[backend_store.backend, True])  # type: ignore[attr-defined]


@pytest.fixture
def sqlite_store(tmp_path: Path, templates: dict[tuple[str, bool], str]) -> Iterator[Store]:
    """The demo store on SQLite only, for what only SQLite's one writer makes necessary."""
    store = Store(f"sqlite:///{tmp_path / 'test.db'}")
    _copy_store(store, "sqlite", templates["sqlite", True], tmp_path / "test.db")
    yield store
    store.engine.dispose()


def write_bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_rows(
    path: Path,
    rows: list[dict[str, str]],
    headers: list[str] | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """A CSV with ``headers`` (default: the POC columns); missing cells are blank."""
    headers = headers or POC_HEADERS
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(header, "") for header in headers])
    return path


def flatten(errors: list[RowError], keys: tuple[str, ...] = ("row", "column", "code")) -> list:
    """Errors as plain lists of the given fields, so a test asserts them in one line."""
    return [[getattr(error, key) for key in keys] for error in errors]


def errors(result: BatchResult, keys: tuple[str, ...] = ("row", "column", "code")) -> list:
    """A result's errors as [row, column, code] lists, for one-line assertions."""
    return flatten(result.errors, keys)


def stored_pocs(store: Store) -> list[dict]:
    """Every POC in the store, as dicts, in ID order."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(schema.pocs).order_by(schema.pocs.c.id)).all()
    return [dict(row._mapping) for row in rows]


def poc(**cells: str) -> dict[str, str]:
    """A valid new Phone Call POC row from the demo data, with ``cells`` overriding."""
    row = {
        "Name": "Main Line",
        "Media Type": "Phone Call",
        "Point of Contact": "+12025550100",
        "Skill": "Sales Calls",
        "Script": "Main IVR",
    }
    row.update({key.replace("_", " "): value for key, value in cells.items()})
    return row


def fixable_batch(run) -> BatchResult:
    """A batch of four rows for the web and API fixes: row 2 created; rows 3 and 5 name a
    misspelt skill (Sales Cals), row 4 a number that is not in the inventory."""
    result = run(
        [
            poc(Name="Line A"),
            poc(Name="Line B", Point_of_Contact="+12025550101", Skill="Sales Cals"),
            poc(Name="Line C", Point_of_Contact="+12125550100"),
            poc(Name="Line D", Point_of_Contact="+12025550102", Skill="Sales Cals"),
        ]
    )
    assert result.counts.failed == 3, result.errors
    return result


@pytest.fixture
def run(store: Store, settings: Settings, tmp_path: Path):
    """Import rows (or a file) into the demo store: run(rows, **options) -> BatchResult."""
    counter = iter(range(1_000_000))

    def _run(
        rows: list[dict[str, str]] | Path, /, headers: list[str] | None = None, **options: object
    ) -> BatchResult:
        path = (
            rows
            if isinstance(rows, Path)
            else write_rows(tmp_path / f"upload-{next(counter)}.csv", rows, headers)
        )
        return run_import(store, path, ImportOptions(**options), settings)  # type: ignore[arg-type]

    return _run


@pytest.fixture
def bulkpoc(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Bulkpoc:
    """The ``bulkpoc`` command on the test's demo store (SQLite or PostgreSQL). A module whose
    commands need a store file of their own (``init``) defines its own ``bulkpoc``."""
    command = command_in(tmp_path, monkeypatch)
    command.url = store.url
    return command


@pytest.fixture
def api(store: Store, settings: Settings) -> Iterator[TestClient]:
    """The API as a partner with every permission (the token of a user with admin's), on the
    test's demo store. A module that needs another caller defines its own ``api``."""
    with api_client(store, settings, create_token(store, "partner", "admin")) as client:
        yield client
