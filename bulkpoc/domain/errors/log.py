"""Collects row errors a whole column at a time.

Rules run on entire columns and report every failing row at once through ``ErrorLog.add``,
naming an ``ErrorType`` from the catalogue and its parameters; the log renders the messages
for just the failing rows, and turns them into ``RowError`` records only at the end, sorted by
row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeAlias

import numpy as np
import pandas as pd

from bulkpoc.domain.errors.codes import ErrorType
from bulkpoc.domain.errors.types import RowError
from bulkpoc.domain.invisible import name_in_messages

# A parameter is a value for every row, a Series aligned to the rows, or a function that
# computes it for just the failing rows (so rules never build text for rows that pass).
Param: TypeAlias = object | pd.Series | Callable[[pd.Index], pd.Series]


class ErrorLog:
    """Row errors for one batch, keyed by the frame index of the rows they belong to."""

    def __init__(self, row_numbers: pd.Series) -> None:
        self.row_numbers = row_numbers
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        mask: pd.Series,
        column: str,
        values: pd.Series | str,
        error: ErrorType,
        params: Mapping[str, Param] | None = None,
    ) -> None:
        """Record ``error`` on ``column`` for every row where ``mask`` is true."""
        if not isinstance(error, ErrorType):
            raise TypeError(f"errors are reported by ErrorType from the catalogue, not {error!r}")
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        index = mask.index[mask.to_numpy()]
        resolved = {
            name: value(index) if callable(value) else value
            for name, value in (params or {}).items()
        }
        picked = _pick(values, index)
        part = pd.DataFrame(
            {
                "row": self.row_numbers.loc[index].to_numpy(),
                "column": column,
                "value": picked,
                "code": error.code,
                # A character nobody sees is written as its code and named (invisible.py).
                "message": name_in_messages(error.render(index, resolved), picked),
            },
            index=index,
        )
        part["seq"] = len(self._parts)
        self._parts.append(part)

    def failed(self, index: pd.Index) -> pd.Series:
        """A boolean mask over ``index``: true for rows with at least one error."""
        if not self._parts:
            return pd.Series(False, index=index)
        failed_index = pd.Index(pd.concat([part.index.to_series() for part in self._parts]))
        return pd.Series(index.isin(failed_index), index=index)

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts)

    def records(self, columns: Mapping[str, str] | None = None) -> list[RowError]:
        """Every error, ordered by row and then by the order the checks ran; ``columns``
        renames the columns errors name (our header -> a partner's, for a mapped file)."""
        if not self._parts:
            return []
        frame = pd.concat(self._parts).sort_values(["row", "seq"], kind="stable")
        if columns:
            frame["column"] = frame["column"].replace(dict(columns))
        return [
            RowError(int(row), str(column), str(value), str(code), str(message))
            for row, column, value, code, message in zip(
                frame["row"],
                frame["column"],
                frame["value"],
                frame["code"],
                frame["message"],
                strict=True,
            )
        ]


def _pick(values: pd.Series | str, index: pd.Index) -> np.ndarray | str:
    if isinstance(values, pd.Series):
        return values.loc[index].astype(object).fillna("").astype(str).to_numpy()
    return values


def row_list(rows: list[int], limit: int = 10) -> str:
    """A few row numbers and a count of the rest: "2, 5 and 9", "2, 3, … 11 and 1,990 more"."""
    shown = [f"{row:,}" for row in rows[:limit]]
    if len(rows) > limit:
        return ", ".join(shown) + f" and {len(rows) - limit:,} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
