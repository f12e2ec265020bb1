"""Record type declarations: unique keys come from the schema, and records stay below the sheet."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint

from bulkpoc.domain.options import RecordTypeName
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import Field, casefold, fold, lower, unique_keys
from bulkpoc.domain.records.poc import POC

RECORDS = Path(__file__).resolve().parent.parent / "bulkpoc" / "domain" / "records"


def constraint_columns(table: Table) -> set[tuple[str, ...]]:
    return {
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }


def test_the_type_names_the_cli_offers_are_the_record_types_in_order():
    assert get_args(RecordTypeName) == tuple(RECORD_TYPES)


@pytest.mark.parametrize("rtype", RECORD_TYPES.values(), ids=list(RECORD_TYPES))
def test_unique_keys_are_the_tables_unique_constraints(rtype):
    assert {key.columns for key in rtype.unique} == constraint_columns(rtype.table)


def test_point_of_contact_keys_are_reported_on_name_then_address():
    keys = RECORD_TYPES["poc"].unique
    assert [(key.columns, key.header) for key in keys] == [
        (("name_key",), "Name"),
        (("media_type", "address_key"), "Point of Contact"),
    ]


def small_table(*constraints: UniqueConstraint) -> Table:
    return Table(
        "things",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(10)),
        Column("name_key", String(10)),
        *constraints,
    )


def test_a_unique_constraint_no_field_reports_is_refused():
    name = Field("Name", "name", "text")
    with pytest.raises(ValueError, match="unique_column"):
        unique_keys(small_table(UniqueConstraint("name_key")), (name,))


def test_a_field_declaring_a_key_the_table_lacks_is_refused():
    name = Field("Name", "name", "text", unique_column="name_key")
    with pytest.raises(ValueError, match="no unique constraint"):
        unique_keys(small_table(), (name,))


def runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(RECORDS.glob("*.py")), ids=lambda path: path.name)
def test_records_import_the_sheet_only_for_type_hints(path):
    assert not {name for name in runtime_imports(path) if name.startswith("bulkpoc.domain.sheet")}


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
