"""Records as the text a file holds: what exports write and what an unchanged upload contains."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bulkpoc.domain.records.base import LAST_MODIFIED, RecordType


def timestamps_as_text(values: pd.Series) -> pd.Series:
    """Naive UTC timestamps as ``2026-11-23T10:15:30.123456Z`` (which Excel leaves as text)."""
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[us]")
    return pd.Series(np.char.add(np.datetime_as_string(stamps, unit="us"), "Z"), index=values.index)


def records_as_text(
    rtype: RecordType,
    refs: dict[str, pd.DataFrame],
    records: pd.DataFrame,
    with_timestamps: bool = True,
    with_key: bool = True,
    only: list[str] | None = None,
) -> pd.DataFrame:
    """One text column per header (Row Changed excluded), in the file's representation;
    ``only``: just the columns of these fields (by name)."""
    frame = pd.DataFrame(index=records.index)
    fields = (rtype.key, *rtype.fields) if with_key else rtype.fields
    for field in fields if only is None else [f for f in fields if f.name in only]:
        values = records[field.name]
        if field.kind == "yes_no":
            text = pd.Series(np.where(values.astype(bool), "Y", "N"), index=records.index)
        elif field.kind == "ref":
            names = refs[field.ref or ""].set_index("id")["name"]
            text = values.astype(object).map(names).astype(object).fillna("")
        elif field.kind == "id":
            text = values.astype("Int64").astype(str)
        else:
            text = values.astype(object).fillna("")
        frame[field.header] = text
    if rtype.has_last_modified and with_timestamps:
        frame[LAST_MODIFIED] = timestamps_as_text(records["last_modified"]) if len(records) else ""
    return frame
