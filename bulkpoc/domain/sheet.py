"""The rows of one batch as they move through validate and plan.

A ``Sheet`` holds whole columns: the cleaned cell text, the normalised values, the stored
record each row updates, and the error log. Rules read and mark columns; none loops over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from bulkpoc.domain.errors.codes import ErrorType
from bulkpoc.domain.errors.log import ErrorLog, Param
from bulkpoc.domain.parsers import TEXT
from bulkpoc.domain.records.base import RecordType

if TYPE_CHECKING:
    from bulkpoc.domain.parsers import Parsed
    from bulkpoc.domain.snapshot import Snapshot
    from bulkpoc.store.db import User


@dataclass
class Sheet:
    rtype: RecordType
    user: User
    snapshot: Snapshot
    region: str
    overwrite: bool
    cells: pd.DataFrame  # cleaned cell text, one column per header of the record type
    rows: pd.Series  # spreadsheet row number of each row
    log: ErrorLog
    values: pd.DataFrame = field(default_factory=pd.DataFrame)  # normalised values by name
    stored: pd.DataFrame = field(default_factory=pd.DataFrame)  # stored record, aligned
    is_update: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    # Rows that differ from the store and need checking; the rest keep the stored values.
    to_check: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    changed: pd.DataFrame = field(default_factory=pd.DataFrame)  # per field: value differs
    action: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    warnings: list[str] = field(default_factory=list)

    @property
    def index(self) -> pd.Index:
        return self.cells.index

    @property
    def is_create(self) -> pd.Series:
        return ~self.is_update

    def error(
        self,
        mask: pd.Series,
        header: str,
        error: ErrorType,
        /,
        values: pd.Series | None = None,
        **params: Param,
    ) -> None:
        """Record ``error`` on ``header`` for every row in ``mask``.

        The message's ``header`` and ``value`` default to the column and the row's cell.
        """
        cells = self.cells[header] if header in self.cells else pd.Series("", index=self.index)
        values = cells if values is None else values
        self.log.add(mask, header, values, error, {"header": header, "value": values, **params})

    def record(self, header: str, parsed: Parsed) -> None:
        """Record what a column parser found wrong, on ``header``."""
        for problem in parsed.problems:
            mask = pd.Series(self.index.isin(problem.rows), index=self.index)
            self.error(mask, header, problem.error, **problem.params)

    def ref(self, name: str, attribute: str, rows: pd.Index | None = None) -> pd.Series:
        """An attribute (``active``, ``media_type``…) of the record a reference field names.

        Looked up on demand rather than kept as aligned frames: three of those per million
        rows were the biggest thing a batch held in memory.
        """
        table = self.snapshot.refs[self.rtype.field(name).ref or ""].set_index("id")[attribute]
        ids = self.values[name] if rows is None else self.values.loc[rows, name]
        return ids.map(table)

    def with_stored(self, name: str, checked: pd.Series, text: bool = False) -> pd.Series:
        """A full column: ``checked`` for the rows to check, the stored value for the rest.

        Rows identical to the store skip the rules, so every rule that computes a column for
        the rows to check completes it here; missing values become None. ``text``: the column
        is kept as Arrow strings (missing values NaN), a third of the memory of str objects.
        """
        if text and len(checked) == len(self.index):
            return checked.astype(TEXT)  # no copy when it is already Arrow text
        if len(checked) == len(self.index):
            full = checked.astype(object)
        else:
            full = (
                self.stored[name].astype(object).copy()
                if name in self.stored
                else pd.Series(None, index=self.index, dtype=object)
            )
            full[checked.index] = checked.astype(object).to_numpy()
        if text:
            return full.astype(TEXT)
        return full.where(full.notna(), None) if full.hasnans else full

    def failed(self) -> pd.Series:
        return self.log.failed(self.index)

    def blank(self, header: str) -> pd.Series:
        return self.cells[header] == ""
