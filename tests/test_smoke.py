import bulkpoc
from bulkpoc.batch import submit
from bulkpoc.domain import options, result, status
from tests.conftest import flatten, poc


def test_a_valid_row_is_created_and_a_second_upload_changes_nothing(run, store):
    first = run([poc()])
    assert first.status.value == "succeeded"
    assert first.counts.created == 1
    again = run([poc(**{"Point of Contact ID": "1"})])
    assert again.counts.unchanged == 1, flatten(again.errors)


def test_the_public_names_are_those_of_their_homes():
    assert bulkpoc.run_import is submit.run_import
    assert bulkpoc.ImportOptions is options.ImportOptions
    assert (bulkpoc.BatchResult, bulkpoc.Counts) == (result.BatchResult, result.Counts)
    assert bulkpoc.BatchStatus is status.BatchStatus
    assert set(bulkpoc.__all__) == {*bulkpoc._HOMES, "__version__"}
