"""Unique keys: values no two records of a type may share, and the folded form they are
checked on (case-insensitive, whitespace collapsed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bulkpoc.domain.parsers import TEXT, map_distinct


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
