"""The demo: reference data for ``init --demo`` and the end-to-end ``bulkpoc demo`` run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.result import BatchResult
from bulkpoc.domain.status import BatchStatus
from bulkpoc.output.exports import write_records
from bulkpoc.services.auth import set_password
from bulkpoc.store.db import Store

SHOWN_ERRORS = 12
DEMO_PASSWORD = "bulkpoc-demo"  # the README names this login for the web UI
REFERENCE_FILES = (
    ("skill", "skills.csv"),
    ("script", "scripts.csv"),
    ("chat-profile", "chat-profiles.csv"),
    ("number", "numbers.csv"),
)


def sample_files_dir() -> Path:
    """Installed wheels carry the sample files inside the package; a checkout at the top."""
    package = Path(__file__).resolve().parent.parent  # bulkpoc/, beside services/
    for candidate in (package / "sample_files", package.parent / "sample_files"):
        if (candidate / "skills.csv").exists():
            return candidate
    raise BulkpocError("The sample files are missing from this installation of bulkpoc.")


def load_demo_reference_data(
    store: Store, settings: Settings, user: str = "admin"
) -> list[BatchResult]:
    """Import the demo skills, scripts, chat profiles and numbers through the normal pipeline."""
    samples = sample_files_dir()
    results = []
    for type_name, file_name in REFERENCE_FILES:
        options = ImportOptions(record_type=type_name, user=user, source="init")
        results.append(run_import(store, samples / file_name, options, settings))
    return results


def run_demo(folder: Path, echo: Callable[[str], None]) -> None:
    """A fresh store in ``folder``; a template; three uploads; an export; and their reports."""
    settings = Settings.from_env().model_copy(  # first: a bad setting stops it untouched
        update={"report_dir": folder / "reports", "outbox_dir": folder / "outbox"}
    )
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bulkpoc.db"
    for stale in (database, folder / "bulkpoc.db-wal", folder / "bulkpoc.db-shm"):
        stale.unlink(missing_ok=True)
    store = Store(f"sqlite:///{database}")
    store.initialise()
    store.add_user("admin", PERMISSIONS, email="admin@example.com")
    set_password(store, "admin", DEMO_PASSWORD)
    echo(f"Created the demo store {database}; web UI login: admin, password {DEMO_PASSWORD}")
    for result in load_demo_reference_data(store, settings):
        echo("  " + result.summary())

    template = folder / "poc-template.xlsx"
    write_records(store, RECORD_TYPES["poc"], "xlsx", template, template=True)
    echo(f"Wrote the template {template}")

    samples = sample_files_dir()
    uploads = (
        ("new-pocs.xlsx", ImportOptions()),
        ("edited-export.csv", ImportOptions(rows="changed")),
        ("pocs-with-mistakes.csv", ImportOptions(notify=("admin@example.com",))),
    )
    for file_name, options in uploads:
        result = run_import(store, samples / file_name, options, settings)
        echo("")
        echo(f"Uploaded {file_name}: {result.summary()}")
        for warning in result.warnings:
            echo(f"  Warning: {warning}")
        for error in result.errors[:SHOWN_ERRORS]:
            echo(f"  Row {error.row}, {error.column}: {error.message}")
        if len(result.errors) > SHOWN_ERRORS:
            echo(f"  … and {len(result.errors) - SHOWN_ERRORS} more errors in the report.")
        echo(f"  Report: {result.reports.html}")
        if result.reports.error_file:
            echo(f"  Error file: {result.reports.error_file}")
        if result.reports.email:
            echo(f"  Email: {result.reports.email}")
        if result.status is BatchStatus.FAILED:
            raise BulkpocError(f"The demo upload of {file_name} failed: {result.failure}")

    export = folder / "pocs-export.xlsx"
    count = write_records(store, RECORD_TYPES["poc"], "xlsx", export, template=False)
    echo("")
    echo(f"Exported {count} points of contact to {export}")
    echo(f"Run history: bulkpoc --db sqlite:///{database} history")
