"""``bulkpoc fix BATCH --set ROW:COLUMN=VALUE --replace COLUMN:FROM=TO`` end to end on both
stores: exit codes as ``import`` (0, 1), 2 for a fix refused, and ``--json``."""

from __future__ import annotations

import pytest

from tests.conftest import poc, stored_pocs

ROWS = [
    poc(Name="Line B", Point_of_Contact="+12025550101", Skill="Sales Cals"),  # row 2
    poc(Name="Line C", Point_of_Contact="+12125550100"),  # row 3: not in the inventory
]
REPLACE = ("--replace", "Skill:Sales Cals=Sales Calls")


@pytest.fixture
def failed(run) -> int:
    result = run(ROWS)
    assert result.counts.failed == 2, result.errors
    return int(result.batch_id or 0)


def test_fix_sets_cells_and_replaces_values_then_exits_0(bulkpoc, store, failed):
    result = bulkpoc("fix", failed, "--set", "3:Point of Contact=+12025550104", *REPLACE)
    assert result.exit_code == 0, result.output
    assert "2 created" in result.stdout
    assert f"fixes batch {failed}." in result.stdout
    assert len(stored_pocs(store)) == 2


def test_fix_that_still_fails_exits_1_and_names_the_original_rows(bulkpoc, failed):
    code, body = bulkpoc.json("fix", failed, *REPLACE, "--dry-run")
    assert code == 1, body
    assert (body["source"], body["dry_run"], body["options"]["fixes"]) == ("fix", True, failed)
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(3, "not_in_inventory")]


def test_a_refused_fix_exits_2_with_one_sentence(bulkpoc, store, failed):
    before = store.count_history()
    refused = bulkpoc("fix", failed, "--set", "9:Skill=x")
    assert refused.exit_code == 2
    assert f"Row 9 of batch {failed} did not fail" in refused.stderr
    bad = bulkpoc("fix", failed, "--set", "Skill=x")
    assert bad.exit_code == 2
    assert "ROW:COLUMN=VALUE" in bad.stderr
    assert store.count_history() == before
