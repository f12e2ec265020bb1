"""Record type declarations, and the folded form their unique keys are checked on."""

from __future__ import annotations

from typing import get_args

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from bulkpoc.domain.options import RecordTypeName
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.keys import casefold, fold, lower
from bulkpoc.domain.records.poc import POC


def test_the_type_names_the_cli_offers_are_the_record_types_in_order():
    assert get_args(RecordTypeName) == tuple(RECORD_TYPES)


# Names as people type and paste them: mostly ASCII, with runs of spaces, tabs and the
# separators, and now and then a letter that casefolds to two (ß, ﬁ) or a non-ASCII space.
typed = st.text(st.sampled_from("aZ 9-\t\n\x0b\x1c\x1f\x00ßﬁÉ\u00a0\u3000"), max_size=12)


@given(st.lists(st.none() | typed, max_size=30))
def test_a_column_folds_to_what_each_of_its_names_folds_to(names):
    for column in (pd.Series(names, dtype=object), pd.Series(names, dtype="str")):
        folded = casefold(column)
        assert [None if pd.isna(v) else v for v in folded] == [
            None if name is None else fold(name) for name in names
        ]


@given(st.lists(st.none() | typed, max_size=30))
def test_a_column_lower_cases_to_what_each_of_its_values_lower_cases_to(values):
    # Email addresses are unique whatever their case: Arrow lower-cases the ASCII ones.
    for column in (pd.Series(values, dtype=object), pd.Series(values, dtype="str")):
        assert [None if pd.isna(v) else v for v in lower(column)] == [
            None if value is None else value.lower() for value in values
        ]


def test_an_email_address_key_ignores_case_and_other_addresses_keep_theirs():
    frame = pd.DataFrame(
        {
            "media_type": ["Email", "Email", "Chat", "Phone Call", "Email"],
            "address": ["Ann@Example.COM", "ÉVE@Example.com", "CHAT-AB12", "+12025550100", None],
        }
    )
    keys = POC.derive(frame.assign(name=["a", "b", "c", "d", "e"]))["address_key"]
    assert [None if pd.isna(v) else v for v in keys] == [
        "ann@example.com",
        "éve@example.com",
        "CHAT-AB12",
        "+12025550100",
        None,
    ]
