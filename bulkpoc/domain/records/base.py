"""What a record type is: its columns, its key, its unique keys and its extra rules.

The pipeline is generic; everything that differs between points of contact, skills, scripts,
chat profiles and numbers is declared here and in the sibling modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, UniqueConstraint

from bulkpoc.domain.parsers import TEXT, map_distinct

if TYPE_CHECKING:
    from bulkpoc.domain.sheet import Sheet

Kind = Literal["text", "yes_no", "media_type", "ref", "address", "id", "phone"]

ROW_CHANGED = "Row Changed"
LAST_MODIFIED = "Last Modified"
ERROR_COLUMN = "Error"


@dataclass(frozen=True)
class Field:
    """One column of a record file and the table column it maps to."""

    header: str
    name: str
    kind: Kind
    required: bool = False  # a blank cell is an error (unless keep_if_blank on update)
    header_required: bool = False  # the file must have this column
    fixed: bool = False  # cannot change on update
    default: Any = None  # value on create when the cell is blank
    keep_if_blank: bool = False  # on update, a blank cell keeps the stored value
    max_length: int = 100
    permission: str | None = None  # needed to change this field on an existing record
    ref: str | None = None  # for kind "ref": the record type it names ("skill", ...)
    # The table column holding this field's folded form, which a unique constraint of the
    # table covers; clashes on that constraint are reported against this field's column.
    unique_column: str | None = None


@dataclass(frozen=True)
class UniqueKey:
    """Values no two records may share: one unique constraint of the record type's table.

    The schema declares the constraint; validate looks for repeats within the file, the plan
    checks the batch's outcome against the store, and apply parks ``column`` while records
    swap keys. ``column`` is the part a row chooses (the others, like the media type, only
    qualify it); clashes are reported against the file column ``header``.
    """

    columns: tuple[str, ...]
    column: str
    header: str

    def values(self, frame: pd.DataFrame) -> pd.Series:
        """Each record's key as one value (the parts joined); missing where any part is."""
        if len(self.columns) == 1:
            return frame[self.column].astype(object)
        parts = [frame[name].astype(object) for name in self.columns]
        present = pd.concat([part.notna() for part in parts], axis=1).all(axis=1)
        joined = pd.Series(None, index=frame.index, dtype=object)
        if present.any():  # rows identical to the store may have none: join only the others
            text = parts[0][present].astype(str)
            for part in parts[1:]:
                text = text + "\x1f" + part[present].astype(str)
            joined[present] = text
        return joined

    def codes(self, frame: pd.DataFrame) -> pd.Series:
        """A number for each distinct value of the key (missing where any part is): what
        finding repeats in a file needs, without joining a million values into text."""
        if len(self.columns) == 1:
            return frame[self.column]  # as it is: as objects, Arrow text would become str first
        codes = np.zeros(len(frame), dtype=np.int64)
        missing = np.zeros(len(frame), dtype=bool)
        for name in self.columns:
            part, distinct = pd.factorize(frame[name])  # -1 where missing
            missing |= part < 0
            codes = pd.factorize(codes * (len(distinct) + 1) + part)[0]  # kept under len(frame)
        return pd.Series(pd.arrays.IntegerArray(codes, missing), index=frame.index)


def unique_keys(table: Table, fields: tuple[Field, ...]) -> tuple[UniqueKey, ...]:
    """The table's unique constraints, each reported against the field that declares it."""
    reporters = {field.unique_column: field for field in fields if field.unique_column}
    constraints = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    column_sets = [tuple(c.name for c in constraint.columns) for constraint in constraints]
    column_sets += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    keys = []
    for columns in column_sets:
        declared = [name for name in columns if name in reporters]
        if len(declared) != 1:
            raise ValueError(
                f"Table {table.name}: one field must declare unique_column for the unique key "
                f"{columns}."
            )
        keys.append(UniqueKey(columns, declared[0], reporters[declared[0]].header))
    undeclared = set(reporters) - {key.column for key in keys}
    if undeclared:
        raise ValueError(f"Table {table.name} has no unique constraint on {sorted(undeclared)}.")
    order = list(reporters)  # report clashes in the order of the file's columns
    return tuple(sorted(keys, key=lambda key: order.index(key.column)))


@dataclass(frozen=True)
class RecordType:
    """A kind of record the bulk engine manages."""

    name: str  # CLI name: poc, skill, script, chat-profile, number
    label: str  # "Point of Contact"
    plural: str  # "Points of Contact"
    table: Table
    key: Field
    fields: tuple[Field, ...]
    permission: str  # needed to upload this type at all
    has_last_modified: bool = False
    needs: tuple[str, ...] = ()  # other data the rules look up: "number", "poc"
    sheet_names: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()
    # Type-specific rules, run on the whole sheet. ``check`` runs after every cell is parsed,
    # ``check_changes`` once the plan knows which rows change what.
    check: Callable[[Sheet], None] | None = None
    check_changes: Callable[[Sheet], None] | None = None
    # Add derived columns (name_key, address_key, ...) to a frame of values.
    derive: Callable[[pd.DataFrame], pd.DataFrame] = field(default=lambda frame: frame)
    # Fill in values the system assigns on create (e.g. chat identifiers).
    assign: Callable[[pd.DataFrame], pd.DataFrame] = field(default=lambda frame: frame)
    # Derived from the table's unique constraints, which are the one declaration of them.
    unique: tuple[UniqueKey, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "unique", unique_keys(self.table, self.fields))

    @property
    def system_key(self) -> bool:
        """True when the store assigns the key (an integer ID) rather than the file."""
        return self.key.kind == "id"

    @property
    def headers(self) -> list[str]:
        headers = [self.key.header, ROW_CHANGED, *(f.header for f in self.fields)]
        if self.has_last_modified:
            headers.append(LAST_MODIFIED)
        return headers

    @property
    def references(self) -> tuple[str, ...]:
        """The record types (skill, script, chat-profile) this type's rows name."""
        return tuple(dict.fromkeys(f.ref for f in self.fields if f.kind == "ref" and f.ref))

    @property
    def required_headers(self) -> list[str]:
        return [f.header for f in (self.key, *self.fields) if f.header_required]

    def field(self, name: str) -> Field:
        for candidate in (self.key, *self.fields):
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def db_columns(self) -> list[str]:
        """Table columns written from a row (the key excluded when the store assigns it)."""
        skip = {self.key.name} if self.system_key else set()
        return [
            c.name for c in self.table.columns if c.name not in skip and c.name != "last_modified"
        ]


# The characters str.split() splits ASCII text on: what ``fold`` collapses to one space.
_ASCII_WHITESPACE_RUNS = r"[\t-\r\x1c-\x1f ]+"


def casefold(values: pd.Series) -> pd.Series:
    """The form uniqueness is checked on: case-insensitive and whitespace-collapsed, as Arrow
    text (missing values stay missing); each value as ``fold`` gives it.

    For plain ASCII values casefolding is lower-casing: Arrow does it, and collapses the
    whitespace, in a few passes over the column. A Python string per name was the largest
    thing a million-row batch made at its peak.
    """

    def ascii_fold(text: pa.Array) -> pa.Array:
        collapsed = pc.replace_substring_regex(pc.ascii_lower(text), _ASCII_WHITESPACE_RUNS, " ")
        return pc.utf8_trim(collapsed, " ")

    return _ascii_by_arrow(values, ascii_fold, fold)


def lower(values: pd.Series) -> pd.Series:
    """``str.lower`` of each value, as Arrow text (missing values stay missing)."""
    return _ascii_by_arrow(values, pc.ascii_lower, str.lower)


def _ascii_by_arrow(
    values: pd.Series, for_ascii: Callable[[pa.Array], pa.Array], for_others: Callable[[str], str]
) -> pd.Series:
    """``for_ascii`` of the plain ASCII values, by Arrow over the whole column; the others
    through ``for_others``, once per distinct value (the two must agree on ASCII text)."""
    text = pa.array(values, from_pandas=True)
    if not pa.types.is_large_string(text.type) and not pa.types.is_string(text.type):
        text = text.cast(pa.large_string())  # a column of only missing values
    result = pd.Series(pd.array(for_ascii(text), dtype=TEXT), index=values.index)
    other = ~pc.fill_null(pc.string_is_ascii(text), True).to_numpy(zero_copy_only=False)
    if other.any():
        result[other] = map_distinct(values[other], for_others).to_numpy()
    return result


def fold(text: str) -> str:
    """One value's folded form (what ``casefold`` gives each value of a column)."""
    folded = text.casefold()
    # Printable text has no whitespace but plain spaces; only then can the join be skipped.
    if folded.isprintable() and "  " not in folded and folded == folded.strip():
        return folded
    return " ".join(folded.split())
