"""``bulkpoc deactivate`` (issue 24, item 2): one record set inactive as a one-row batch, the
deactivation rule's workaround (``--via-skill``) as one change, exit codes as ``import``."""

from __future__ import annotations

import pytest

from bulkpoc.domain.records import RECORD_TYPES
from tests.cli import Bulkpoc
from tests.conftest import poc

POC = RECORD_TYPES["poc"]


@pytest.fixture
def bulkpoc(bulkpoc: Bulkpoc, run) -> Bulkpoc:
    """The command on the test's demo store (SQLite or PostgreSQL), with one POC (ID 1) on
    the active skill Sales Calls."""
    assert run([poc()]).status.value == "succeeded"
    return bulkpoc


def test_deactivate_is_refused_on_an_active_skill_then_done_via_an_inactive_one(bulkpoc, store):
    refused = bulkpoc("deactivate", "--id", 1)
    assert refused.exit_code == 3, refused.output
    assert "Cannot be deactivated because it is still assigned to an active skill" in (
        refused.stdout
    )
    assert "'Legacy Calls'" in refused.stdout  # the inactive skill the message suggests
    assert store.find_record(POC, 1)["active"] is True

    code, body = bulkpoc.json(
        "deactivate", "--type", "poc", "--id", 1, "--via-skill", "Legacy Calls"
    )

    assert code == 0, body
    assert (body["source"], body["counts"]["updated"], body["user"]) == ("cli", 1, "admin")
    record = store.find_record(POC, 1)
    assert (record["active"], record["skill"]) == (False, "Legacy Calls")
    undone = bulkpoc("undo", body["batch_id"])  # one change, one undo
    assert undone.exit_code == 0, undone.output
    assert store.find_record(POC, 1)["skill"] == "Sales Calls"


def test_deactivate_a_skill_and_what_it_refuses(bulkpoc, store):
    done = bulkpoc("deactivate", "--type", "skill", "--id", 1, "--as", "admin")
    assert done.exit_code == 0, done.output
    assert store.find_record(RECORD_TYPES["skill"], 1)["active"] is False

    for args, words in (
        (("--id", 99), "There is no point of contact 99."),
        (("--type", "skill", "--id", 1, "--via-skill", "X"), "--via-skill applies to points"),
    ):
        result = bulkpoc("deactivate", *args)
        assert result.exit_code == 2, result.output
        assert words in result.stderr
