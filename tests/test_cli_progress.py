"""The progress bar a terminal user sees during an import."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bulkpoc.batch.submit import run_import
from bulkpoc.cli.batches import _progress_bar
from bulkpoc.config import Settings
from bulkpoc.domain.options import ImportOptions
from bulkpoc.store.db import Store
from tests.conftest import poc, write_rows


def test_the_progress_bar_shows_each_stage_of_a_real_import(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    path = write_rows(tmp_path / "one.csv", [poc()])
    with _progress_bar(enabled=True, console=console) as progress:
        result = run_import(store, path, ImportOptions(), settings, progress)
    assert result.counts.created == 1
    shown = screen.getvalue()
    for stage in ("read", "validate", "apply", "report"):
        assert stage in shown


def test_no_progress_bar_when_output_is_not_a_terminal() -> None:
    with _progress_bar(enabled=False) as progress:
        assert progress is None
