"""Change records: what a batch did (or, for a dry run, would do) to each record, field by field.

An updated record gets one change per field that changed, with the field's text before and
after; a created record one change holding every value it was created with; a record an undo
removes one change holding every value it had. The text is the cell an export writes (a
reference by name, a flag as Y or N), so a before-value uploaded as a cell restores the field.

Change rows are made a chunk at a time beside the rows apply writes, from the text the row
hashes are computed from, and ``Tally`` sums them into the summary a reviewer reads first:
how many rows change each field, and the most common transitions.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, Field

from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.rowhash import SEPARATOR, hashed_headers

CREATED, UPDATED, REMOVED = "created", "updated", "removed"
COLUMNS = ["batch_id", "row", "record_type", "record_key", "action", "field", "before", "after"]
# A column beside ``COLUMNS`` that a batch's own change rows may carry, not stored: each
# updated record's name as exported, which its changes.csv shows.
NAMED = "name"
ACTIVE = "Active"
TOP_TRANSITIONS = 5
# Past this many distinct transitions of one field (every name changed, say) none is common
# enough to list, and counting them all would grow with the file: the field's rows are counted.
MAX_TRANSITIONS = 10_000


class Transition(BaseModel):
    """Rows whose field went from one value to another."""

    before: str
    after: str
    rows: int


class FieldChanges(BaseModel):
    """How many updated rows change one field, and how."""

    field: str
    rows: int
    deactivations: int = 0  # Active Y -> N
    activations: int = 0  # Active N -> Y
    transitions: list[Transition] = Field(default_factory=list)  # the most common first

    def line(self) -> str:
        text = f"{self.field}: {_rows(self.rows)}"
        if self.field == ACTIVE and (self.deactivations or self.activations):
            kinds = [
                f"{count:,} {word}{'' if count == 1 else 's'}"
                for count, word in (
                    (self.deactivations, "deactivation"),
                    (self.activations, "activation"),
                )
                if count
            ]
            text += ", of which " + " and ".join(kinds)
        return text


class ChangeSummary(BaseModel):
    """What a batch changed, for a reviewer to read before the rows."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    fields: list[FieldChanges] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.created or self.updated or self.removed)

    def lines(self) -> list[str]:
        """The summary as sentences: records created and removed, then each field changed with
        its most common transitions (``Sales Phone -> Support Phone: 1,150``)."""
        lines = [
            f"{label}: {count:,} record{'' if count == 1 else 's'}"
            for label, count in (("Created", self.created), ("Removed", self.removed))
            if count
        ]
        for changes in self.fields:
            lines.append(changes.line())
            lines.extend(
                f"{changes.field} {_shown(t.before)} -> {_shown(t.after)}: {t.rows:,}"
                for t in changes.transitions
            )
        return lines


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _shown(text: str) -> str:
    return text if text else "(blank)"


# --- change rows, a chunk at a time -------------------------------------------------------------


def joined(headers: list[str]) -> str:
    """A whole record's headers as one text: the unit separator between them, as between its
    cells (which validation keeps free of control characters)."""
    return SEPARATOR.join(headers)


def whole_record_headers(record_type: str) -> str:
    """The headers of a created or removed record's cells, joined: the columns its row hash
    covers. They are the same for every record of a type, so its change row stores none
    (``field`` null) and readers take them from here (the store fills them in as it reads).
    Like the row hashes, a change of those columns needs a migration of the rows written before.
    """
    return joined(hashed_headers(RECORD_TYPES[record_type]))


def record_values(field: str, text: str) -> dict[str, str]:
    """A created or removed record's values from its change row: header to cell text."""
    return dict(zip(field.split(SEPARATOR), text.split(SEPARATOR), strict=True))


def created_rows(
    batch_id: int,
    record_type: str,
    rows: pd.Series,
    keys: pd.Series | None,
    cells: pa.Array,
) -> pd.DataFrame:
    """One change per created record: its ``cells`` (each record's cells for the headers
    ``whole_record_headers`` gives, joined by the unit separator: the text its row hash was
    computed from), without the headers."""
    return _frame(batch_id, record_type, rows, keys, CREATED, None, None, cells)


def removed_rows(
    batch_id: int,
    record_type: str,
    rows: pd.Series,
    keys: pd.Series,
    cells: pa.Array,
) -> pd.DataFrame:
    """One change per removed record: every value it had, as ``created_rows`` keeps them."""
    return _frame(batch_id, record_type, rows, keys, REMOVED, None, cells, None)


def updated_rows(
    batch_id: int,
    record_type: str,
    rows: pd.Series,
    keys: pd.Series,
    changed: pd.DataFrame,
    before: pd.DataFrame,
    after: pd.DataFrame,
    names: pd.Series | None = None,
) -> pd.DataFrame:
    """One change per field that changed: ``changed`` holds a flag per header for each row,
    ``before`` and ``after`` the headers' text; ``names`` each record's name, if its type has
    names (in the column ``NAMED``)."""
    frames = []
    for header in changed.columns:
        mask = changed[header].to_numpy(dtype=bool)
        if mask.any():
            frames.append(
                _frame(
                    batch_id,
                    record_type,
                    rows[mask],
                    keys[mask],
                    UPDATED,
                    header,
                    before[header][mask],
                    after[header][mask],
                )
            )
            frames[-1][NAMED] = _texts(None if names is None else names[mask], int(mask.sum()))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _frame(
    batch_id: int,
    record_type: str,
    rows: pd.Series,
    keys: pd.Series | None,
    action: str,
    field: str | None,
    before: object,
    after: object,
) -> pd.DataFrame:
    size = len(rows)
    return pd.DataFrame(
        {
            "batch_id": np.full(size, batch_id, dtype=np.int64),
            "row": rows.to_numpy(dtype=np.int64),
            "record_type": record_type,
            "record_key": _texts(keys, size),
            "action": action,
            "field": field,
            "before": _texts(before, size),
            "after": _texts(after, size),
        }
    )


def _texts(values: object, size: int = 0) -> pd.Series:
    """A column of text (missing stays missing) as Arrow strings, converted in one call."""
    if values is None:
        array = pa.nulls(size, pa.string())
    elif isinstance(values, pa.Array):
        array = values.cast(pa.string())
    else:
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        array = pa.array(series.to_numpy(), from_pandas=True).cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([array])))


# --- the summary ----------------------------------------------------------------------------


class Tally:
    """Sums change rows, chunk by chunk, into a ``ChangeSummary``; memory stays bounded."""

    def __init__(self) -> None:
        self.created = self.updated = self.removed = 0
        self._rows: Counter[str] = Counter()
        self._transitions: dict[str, Counter[tuple[str, str]] | None] = {}

    def add(self, changes: pd.DataFrame) -> None:
        if changes.empty:
            return
        action = changes["action"]
        self.created += int((action == CREATED).sum())
        self.removed += int((action == REMOVED).sum())
        updated = changes[action == UPDATED]
        if updated.empty:
            return
        self.updated += int(updated["row"].nunique())
        for field, group in updated.groupby("field", sort=False):
            self._rows[str(field)] += len(group)
            counts = self._transitions.setdefault(str(field), Counter())
            if counts is None:
                continue
            pairs = group.groupby(["before", "after"], sort=False, dropna=False).size()
            counts.update({(str(b), str(a)): int(n) for (b, a), n in pairs.items()})
            if len(counts) > MAX_TRANSITIONS:
                self._transitions[str(field)] = None

    def summary(self) -> ChangeSummary:
        fields = []
        for field, rows in self._rows.items():
            counts = self._transitions.get(field)
            changes = FieldChanges(field=field, rows=rows)
            if counts is not None:
                if field == ACTIVE:
                    changes.deactivations = counts.get(("Y", "N"), 0)
                    changes.activations = counts.get(("N", "Y"), 0)
                common = list(counts.most_common(TOP_TRANSITIONS))
                if len(counts) > TOP_TRANSITIONS:
                    common = [(pair, n) for pair, n in common if n > 1]
                changes.transitions = [
                    Transition(before=before, after=after, rows=n) for (before, after), n in common
                ]
            fields.append(changes)
        return ChangeSummary(
            created=self.created, updated=self.updated, removed=self.removed, fields=fields
        )
