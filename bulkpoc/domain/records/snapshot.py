"""What the rules need to know about the store, loaded once per batch as DataFrames.

The store reads it (``bulkpoc.store.snapshots``); the rules only look at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from bulkpoc.domain.parsers import index_in
from bulkpoc.domain.records.keys import UniqueKey


@dataclass(frozen=True)
class Inventory:
    """The number inventory: each number's E.164 text as Arrow, its capabilities as arrays.

    A Python string per number, in a DataFrame's index with its hash table, was about a
    hundred megabytes of a million-row batch; this is a tenth of that.
    """

    numbers: pa.Array
    voice: np.ndarray
    sms: np.ndarray

    def find(self, values: pd.Series) -> np.ndarray:
        """Each value's position in the inventory, -1 where it holds none."""
        return index_in(values, self.numbers)


EMPTY_INVENTORY = Inventory(pa.array([], type=pa.string()), np.zeros(0, bool), np.zeros(0, bool))


@dataclass
class Snapshot:
    # Records of the type being imported, indexed by key. For a batch: only the key and the
    # row hash of each; ``records`` and ``unique_values`` read the others where needed.
    existing: pd.DataFrame
    refs: dict[str, pd.DataFrame] = field(default_factory=dict)  # by ref name, index name_key
    pocs: pd.DataFrame = field(default_factory=pd.DataFrame)  # for rules on other types
    # The inventory is read on first use: a re-upload of unchanged POCs never needs it.
    load_numbers: Callable[[], Inventory] | None = None
    _numbers: Inventory | None = None
    load_records: Callable[[pd.Index], pd.DataFrame] | None = None
    load_unique: Callable[[UniqueKey, list], pd.DataFrame] | None = None
    # For an undo's removals: what still refers to each record (``dependents``).
    load_dependents: Callable[[pd.Index], pd.DataFrame] | None = None

    @property
    def numbers(self) -> Inventory:
        """The number inventory (empty unless the record type needs it)."""
        if self._numbers is None:
            self._numbers = self.load_numbers() if self.load_numbers else EMPTY_INVENTORY
        return self._numbers

    def records(self, keys: pd.Index) -> pd.DataFrame:
        """Every stored value of the records with these keys, indexed by key."""
        if self.load_records is None:
            return self.existing.reindex(keys)
        return self.load_records(keys)

    def unique_values(self, key: UniqueKey, rows: pd.DataFrame) -> pd.DataFrame:
        """The stored records that may hold a value ``rows`` give ``key`` (all that hold one):
        their ``key`` columns, indexed by record key."""
        wanted = list(pd.unique(rows[key.column].dropna()))
        if self.load_unique is None:
            existing = self.existing
            return existing.loc[existing[key.column].isin(wanted), list(key.columns)]
        return self.load_unique(key, wanted)

    def dependents(self, keys: pd.Index) -> pd.DataFrame:
        """For each of these records that other records refer to (POCs assigned to a skill,
        using a number…): ``count`` of them and ``names``, the first few, indexed by key."""
        if self.load_dependents is None:
            return pd.DataFrame({"count": [], "names": []})
        return self.load_dependents(keys)
