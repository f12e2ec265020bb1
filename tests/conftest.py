"""Fixtures: a fresh real store per test (SQLite always, PostgreSQL when configured).

Set BULKPOC_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
store-backed test on PostgreSQL as well; .ci/run sets it when a server answers.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bulkpoc.config import Settings
from bulkpoc.demo import load_demo_reference_data
from bulkpoc.errors import flatten
from bulkpoc.pipeline import ImportOptions, run_import
from bulkpoc.records import RECORD_TYPES
from bulkpoc.result import BatchResult
from bulkpoc.store import schema
from bulkpoc.store.db import PERMISSIONS, Store

POSTGRES_URL = os.environ.get("BULKPOC_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]
POC_HEADERS = RECORD_TYPES["poc"].headers


def _reset_postgres(url: str) -> None:
    engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An initialised store with the admin user (every permission) and nothing else."""
    if request.param == "postgresql":
        assert POSTGRES_URL
        _reset_postgres(POSTGRES_URL)
        store = Store(POSTGRES_URL)
    else:
        store = Store(f"sqlite:///{tmp_path / 'test.db'}")
    store.initialise()
    store.add_user("admin", PERMISSIONS, email="admin@example.com")
    yield store
    store.engine.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return dataclasses.replace(
        Settings.from_env({}), report_dir=tmp_path / "reports", outbox_dir=tmp_path / "outbox"
    )


@pytest.fixture
def store(empty_store: Store, settings: Settings) -> Store:
    """A store with the demo reference data (skills, scripts, chat profiles, numbers)."""
    for result in load_demo_reference_data(empty_store, settings):
        assert result.status.value == "succeeded", result.failure or result.errors
    return empty_store


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
