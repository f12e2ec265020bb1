"""Set up everything the test suite needs, then run it: the README's test command.

Run it with the Python of a fresh virtual environment; arguments go to pytest as they are
(``python3 scripts/test.py -k browser -x``), after ``-n auto``: the tests run in parallel, a
pytest-xdist worker per core, each on a PostgreSQL database of its own (tests/conftest.py).
It installs bulkpoc with the test extra at the versions of constraints.txt, Debian's Chromium
for the browser tests when it is missing (as root, with apt-get), and a PostgreSQL ``test``
database when a server answers on 127.0.0.1:5432, so the store tests run on both backends.
Only the standard library runs before the install.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = ("127.0.0.1", 5432)
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TEST_URL_VARIABLE = "BULKPOC_TEST_POSTGRES_URL"
# pytest-xdist: a worker per core, most tests waiting on a subprocess, a browser or a database.
# A test marked xdist_group runs in one worker with the rest of its group. `-n 0` (after these,
# so it wins) runs the suite in one process, as `--pdb` needs.
PARALLEL = ["-n", "auto", "--dist", "loadgroup"]
NO_CHROMIUM = (
    "The browser tests need Debian's Chromium on PATH: install it as root with "
    "`apt-get install chromium`, then run this again."
)


def main(pytest_args: list[str]) -> int:
    """Each set-up step in turn, then pytest's exit code."""
    if not ensure_chromium():
        print(NO_CHROMIUM, file=sys.stderr)
        return 1
    if problem := install():
        print(problem, file=sys.stderr)
        return 1
    env = os.environ | postgres_settings()
    command = pytest_command(pytest_args)
    step(f"Running pytest {' '.join(command[3:])}")
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def pytest_command(pytest_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", *PARALLEL, *pytest_args]


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_chromium() -> bool:
    """Chromium is on PATH, or apt-get (as root) has just put it there."""
    if shutil.which("chromium"):
        return True
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        return False
    step("Installing Debian's Chromium (apt-get install chromium)")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt_get, "update", "-qq"], check=True, env=env)
    subprocess.run([apt_get, "install", "-y", "-qq", "chromium"], check=True, env=env)
    return shutil.which("chromium") is not None


def install() -> str | None:
    """bulkpoc, editable, with the test extra at the locked versions; or why it could not be."""
    if importlib.util.find_spec("pip") is None:
        return (
            f"The Python at {sys.executable} has no pip: make a virtual environment with "
            "`python3 -m venv .venv && . .venv/bin/activate`, then run this again."
        )
    step(f"Installing bulkpoc[test] into {sys.prefix}, pinned by constraints.txt")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run([*pip, "-c", "constraints.txt", "-e", ".[test]"], cwd=ROOT, check=False)
    if done.returncode:
        return "Installing the test dependencies failed: pip says why above."
    return None


def postgres_settings() -> dict[str, str]:
    """The variable that puts the store tests on PostgreSQL too, when there is a server."""
    if url := os.environ.get(TEST_URL_VARIABLE):
        step(f"Testing on SQLite and on PostgreSQL ({url}, from {TEST_URL_VARIABLE})")
        return {}
    if not server_answers(*POSTGRES_SERVER):
        step("No PostgreSQL server answers on 127.0.0.1:5432: testing on SQLite only")
        return {}
    if problem := create_database(POSTGRES_URL):
        step(f"PostgreSQL on 127.0.0.1:5432 refused the tests ({problem}): testing on SQLite only")
        return {}
    step(f"Testing on SQLite and on PostgreSQL ({POSTGRES_URL})")
    return {TEST_URL_VARIABLE: POSTGRES_URL}


def server_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def create_database(url: str) -> str | None:
    """Create ``url``'s database unless it exists; what went wrong, if anything."""
    importlib.invalidate_caches()  # psycopg was installed after this process started
    import psycopg

    server, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{server}/postgres", connect_timeout=3, autocommit=True) as db:
            if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                db.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        return str(error).strip()
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
