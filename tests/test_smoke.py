from tests.conftest import flatten, poc


def test_a_valid_row_is_created_and_a_second_upload_changes_nothing(run, store):
    first = run([poc()])
    assert first.status.value == "succeeded"
    assert first.counts.created == 1
    again = run([poc(**{"Point of Contact ID": "1"})])
    assert again.counts.unchanged == 1, flatten(again.errors)
