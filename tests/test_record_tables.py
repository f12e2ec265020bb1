"""Where record types are kept: their unique keys come from their tables' constraints."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import Field
from bulkpoc.store.record_tables import constraint_keys, table, unique_keys


def constraint_columns(table: Table) -> set[tuple[str, ...]]:
    return {
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }


@pytest.mark.parametrize("rtype", RECORD_TYPES.values(), ids=list(RECORD_TYPES))
def test_unique_keys_are_the_tables_unique_constraints(rtype):
    assert {key.columns for key in unique_keys(rtype)} == constraint_columns(table(rtype))


def test_point_of_contact_keys_are_reported_on_name_then_address():
    keys = unique_keys(RECORD_TYPES["poc"])
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
        constraint_keys(small_table(UniqueConstraint("name_key")), (name,))


def test_a_field_declaring_a_key_the_table_lacks_is_refused():
    name = Field("Name", "name", "text", unique_column="name_key")
    with pytest.raises(ValueError, match="no unique constraint"):
        constraint_keys(small_table(), (name,))
