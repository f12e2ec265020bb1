"""The benchmarks leave nothing behind: no store in the working folder, no filled or template
database on the PostgreSQL server they were lent (issue 21, part 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, POSTGRES_URL, _maintenance

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
ROWS = "300"  # enough for every media type; seconds, not minutes


def bench_database() -> str:
    """A database of the benchmark's own beside the tests' (created empty)."""
    assert POSTGRES_URL
    url = f"{POSTGRES_URL}_bench"
    name = url.rsplit("/", 1)[1]
    with _maintenance(POSTGRES_URL) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    return url


def databases(lent: str) -> set[str]:
    """The server's databases named after the lent one (a benchmark names its template so):
    others come and go with the other tests (pytest-xdist workers) meanwhile."""
    assert POSTGRES_URL
    name = lent.rsplit("/", 1)[1]
    with _maintenance(POSTGRES_URL) as server:
        rows = server.execute("SELECT datname FROM pg_database").fetchall()
    return {row[0] for row in rows if row[0].startswith(name)}


def tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as connection:
        query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        return [row[0] for row in connection.execute(query)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "argv",
    [
        ["bench.py", "--scenario", "csv-create", "--repeat", "1", "--rows", ROWS],
        ["whole.py", "--no-peer", "--repeat", "1", "--rows", ROWS, "--xlsx-rows"],
    ],
    ids=["bench", "whole"],
)
def test_a_benchmark_run_leaves_no_database_behind(backend, argv, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BULKPOC_BENCH_POSTGRES_URL"}
    if backend == "postgresql":
        env["BULKPOC_BENCH_POSTGRES_URL"] = url = bench_database()
        before = databases(url)
    try:
        done = subprocess.run(
            [sys.executable, str(BENCHMARKS / argv[0]), *argv[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "rows" in done.stdout  # it measured something
        assert list(tmp_path.iterdir()) == []  # no store, report or outbox in the working folder
        if backend == "postgresql":
            assert tables(url) == []
            assert databases(url) == before  # the seeded template is gone, the lent database stays
    finally:
        if backend == "postgresql":
            with _maintenance(url) as server:
                server.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
