"""While a batch runs, Python collects cyclic garbage less often; afterwards, as before."""

from __future__ import annotations

import gc

import pytest

from bulkpoc.batch.garbage import YOUNG_THRESHOLD, collect_less_often, fewer_collections
from tests.conftest import poc


@pytest.fixture(autouse=True)
def python_defaults():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    gc.unfreeze()
    yield
    gc.set_threshold(*before)


def test_a_batch_collects_less_often_and_the_last_to_finish_puts_collection_back():
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        assert gc.get_freeze_count() > 0  # the imported modules are left out of collections
        with fewer_collections():  # a second batch in the same process (the web's threads)
            pass
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)  # the first still runs
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_batch_that_raises_still_puts_collection_back():
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a bug in the batch")
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_real_batch_leaves_the_process_collecting_as_before(run):
    result = run([poc(Name="Collected")])
    assert result.counts.created == 1
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_the_command_line_never_lowers_a_threshold_an_operator_raised():
    collect_less_often()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    gc.set_threshold(50_000, 10, 10)
    collect_less_often()
    assert gc.get_threshold() == (50_000, 10, 10)
