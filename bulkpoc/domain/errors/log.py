"""Collects row errors a whole column at a time.

Rules run on entire columns and report every failing row at once through ``ErrorLog.add``,
naming an ``ErrorType`` from the catalogue and its parameters; the log renders the messages
for just the failing rows, and turns them into ``RowError`` records only at the end, sorted by
row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeAlias

import pandas as pd

from bulkpoc.domain.errors.codes import ErrorType
from bulkpoc.domain.errors.types import RowError

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
        part = pd.DataFrame(
            {
                "row": self.row_numbers.loc[index].to_numpy(),
                "column": column,
                "value": _pick(values, index),
                "code": error.code,
                "message": error.render(index, resolved),
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

    def records(self) -> list[RowError]:
        """Every error, ordered by row and then by the order the checks ran."""
        if not self._parts:
            return []
        frame = pd.concat(self._parts).sort_values(["row", "seq"], kind="stable")
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


def _pick(values: pd.Series | str, index: pd.Index) -> object:
    if isinstance(values, pd.Series):
        return values.loc[index].astype(object).fillna("").astype(str).to_numpy()
    return values
