"""``bulkpoc apply BATCH`` end to end on both stores: exit codes as ``import`` (0, 1, 2, 3),
``--json``, ``--exclude-rows``, and a dry run made by ``import --dry-run`` keeping its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkpoc.batch.submit import load_result
from tests.cli import Bulkpoc
from tests.conftest import poc, stored_pocs, write_rows

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
NEW_POCS = SAMPLES / "new-pocs.csv"
MISTAKES = SAMPLES / "pocs-with-mistakes.csv"


def _dry_run(bulkpoc: Bulkpoc, path: Path) -> int:
    code, body = bulkpoc.json("import", path, "--dry-run")
    assert code in (0, 1), body
    return int(body["batch_id"])


def test_a_cli_dry_run_keeps_its_file_and_applies_with_exit_0(bulkpoc, store):
    preview = _dry_run(bulkpoc, NEW_POCS)
    assert store.file_content(store.batch(preview)["checksum"]) == NEW_POCS.read_bytes()
    result = bulkpoc("apply", preview)
    assert result.exit_code == 0, result.output
    assert "12 created" in result.stdout
    assert len(stored_pocs(store)) == 12


def test_apply_json_exits_1_when_rows_fail_as_the_dry_run_showed(bulkpoc, store):
    preview = _dry_run(bulkpoc, MISTAKES)
    shown = load_result(store, preview)
    code, body = bulkpoc.json("apply", preview)
    assert code == 1, body
    assert body["preview_of"] == preview
    assert body["status"] == "completed_with_errors"
    assert body["counts"] == shown.counts.model_dump()


def test_apply_leaves_out_excluded_rows(bulkpoc, store):
    preview = _dry_run(bulkpoc, NEW_POCS)
    code, body = bulkpoc.json("apply", preview, "--exclude-rows", "2,4-5", "--exclude-rows", "13")
    assert code == 0, body
    assert (body["counts"]["created"], body["counts"]["skipped"]) == (8, 4)
    assert any("rows 2, 4, 5 and 13" in warning for warning in body["warnings"])
    assert len(stored_pocs(store)) == 8


def test_a_second_apply_exits_2_in_one_sentence(bulkpoc, store):
    preview = _dry_run(bulkpoc, NEW_POCS)
    first = bulkpoc("apply", preview)
    assert first.exit_code == 0
    again = bulkpoc("apply", preview)
    assert again.exit_code == 2
    assert f"Batch {preview} was already applied, as batch" in again.stderr
    code, body = bulkpoc.json("apply", preview)
    assert code == 2
    assert body["code"] == "already_applied"
    assert len(stored_pocs(store)) == 12


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["999999"], "There is no batch 999999."),
        (["0"], "0 is not in the range"),
        (["x"], "'x' is not a valid integer"),
        (["{preview}", "--exclude-rows", "1"], "not a data row"),
        (["{preview}", "--as", "nobody"], "nobody"),
    ],
)
def test_usage_errors_exit_2(bulkpoc, store, args, says):
    preview = _dry_run(bulkpoc, NEW_POCS)
    result = bulkpoc("apply", *[arg.format(preview=preview) for arg in args])
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert store.applied_as(preview) is None


def test_a_changed_store_exits_3_applies_nothing_and_makes_a_new_dry_run(bulkpoc, store, tmp_path):
    rows = [poc(Name="Line 1"), poc(Name="Line 2", Point_of_Contact="+12025550101")]
    preview = _dry_run(bulkpoc, write_rows(tmp_path / "two.csv", rows))
    taken = write_rows(
        tmp_path / "taken.csv", [poc(Name="Line 2", Point_of_Contact="+12025550102")]
    )
    assert bulkpoc("import", taken).exit_code == 0
    result = bulkpoc("apply", preview)
    assert result.exit_code == 3, result.output
    assert "Nothing was applied" in result.stdout
    assert "row 3" in result.stdout
    assert "New dry run:" in result.stdout
    new_preview = load_result(store, load_result(store, preview).applied_as).new_preview
    assert f"bulkpoc apply {new_preview}" in result.stdout
    assert [p["name"] for p in stored_pocs(store)] == ["Line 2"]


def test_apply_of_a_batch_that_is_not_a_dry_run_exits_2(bulkpoc, store):
    code, body = bulkpoc.json("import", NEW_POCS)
    assert code == 0
    result = bulkpoc("apply", body["batch_id"])
    assert result.exit_code == 2
    assert "is not a dry run" in result.stderr
