"""Last Modified: the timestamps an export writes, read back from a file as written or as a
spreadsheet turned them into dates, to compare with the stored ones at the precision the file
kept (the optimistic-concurrency check of an update)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bulkpoc.domain.errors.codes import AMBIGUOUS_LAST_MODIFIED, INVALID_LAST_MODIFIED
from bulkpoc.domain.parsers import Parsed

# Day, month and year in either order of day and month (2026 or 26), then an optional time
# with optional seconds, fraction and AM/PM: what Excel and LibreOffice write when they turn
# an exported timestamp into a date and save it back.
_SPREADSHEET_TIME = (
    r"^(?:(?P<year_first>\d{4})[-/.](?P<month_first>\d{1,2})[-/.](?P<day_last>\d{1,2})"
    r"|(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<year>\d{4}|\d{2}))"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?\s*(?P<half>[AaPp]\.?[Mm]\.?)?)?$"
)


def parse_last_modified(cells: pd.Series, header: str = "Last Modified") -> Parsed:
    """Naive UTC times from ISO 8601 as exported, or from what a spreadsheet made of it.

    A day and month that could be either way round (05/11/2026) are refused: guessing could
    hide a conflict. Blank cells give NaT without an error.
    """
    present = cells != ""
    values = pd.to_datetime(
        cells.where(present, None), errors="coerce", utc=True, format="ISO8601"
    ).dt.tz_convert(None)
    values = values.astype("datetime64[us]")  # the store's precision
    parsed = Parsed(values)
    ambiguous = pd.Series(False, index=cells.index)
    retry = present & values.isna()
    if retry.any():
        day_first, month_first = _spreadsheet_times(cells[retry])
        agree = day_first.notna() & (month_first.isna() | (day_first == month_first))
        values[retry] = day_first.where(agree, month_first.where(day_first.isna())).to_numpy()
        both = day_first.notna() & ~agree
        ambiguous[both.index] = both.to_numpy()
        parsed.fail(
            ambiguous,
            AMBIGUOUS_LAST_MODIFIED,
            header=header,
            value=cells,
            first=_spoken_date(day_first[both]),
            second=_spoken_date(month_first[both]),
        )
    parsed.fail(present & values.isna() & ~ambiguous, INVALID_LAST_MODIFIED, header=header)
    return parsed


def at_precision_of(stored: pd.Series, written: pd.Series) -> pd.Series:
    """``stored`` times cut to the precision each ``written`` one has (minute, second or finer).

    A spreadsheet may have dropped the seconds or the fraction of an exported time; compared
    at its own precision, such a time still equals the one it was exported from.
    """
    whole_minute = (written.dt.second == 0) & (written.dt.microsecond == 0)
    whole_second = ~whole_minute & (written.dt.microsecond == 0)
    cut = stored.where(~whole_minute, stored.dt.floor("min"))
    return cut.where(~whole_second, stored.dt.floor("s"))


def _spreadsheet_times(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The time each cell gives read day first and read month first (NaT where impossible)."""
    parts = _time_parts(cells)
    year = parts["year"].where(parts["year"] >= 100, parts["year"] + 2000)
    year = year.fillna(parts["year_first"])
    hour, minute, second = (parts[name].fillna(0) for name in ("hour", "minute", "second"))
    half = parts["half"]
    bad_clock = (hour > 23) | (minute > 59) | (second > 59)
    bad_clock |= half.notna() & ((hour < 1) | (hour > 12))
    hour = hour.where(half.isna(), hour % 12 + (half == "p") * 12)
    clock = {"hour": hour, "minute": minute, "second": second, "us": parts["fraction"].fillna(0)}

    def assemble(day: pd.Series, month: pd.Series) -> pd.Series:
        fields = pd.DataFrame({"year": year, "month": month, "day": day, **clock})
        times = pd.to_datetime(fields.fillna(-1), errors="coerce")
        return times.where(~bad_clock & fields[["year", "month", "day"]].notna().all(axis=1))

    a = parts["a"].fillna(parts["day_last"])
    b = parts["b"].fillna(parts["month_first"])
    year_first = parts["year_first"].notna()
    day_first = assemble(a, b)
    month_first = assemble(b, a).where(~year_first)  # year first is always year-month-day
    return day_first, month_first


def _time_parts(cells: pd.Series) -> pd.DataFrame:
    """The groups of a spreadsheet time as numbers (fraction in microseconds), AM/PM as a/p.

    pyarrow's regex kernel and casts run on the whole column, where pandas' str.extract and
    to_numeric handle one Python object per cell, ten times slower.
    """
    text = pa.array(cells.astype(object).to_numpy(), pa.string())
    matched = pc.extract_regex(text, _SPREADSHEET_TIME)
    parts = {}
    for group, part in zip(matched.type, matched.flatten(), strict=True):
        part = pc.if_else(pc.equal(part, ""), pa.scalar(None, pa.string()), part)
        if group.name == "half":
            part = pc.utf8_lower(pc.utf8_slice_codeunits(part, 0, 1))
        else:
            if group.name == "fraction":
                part = pc.utf8_slice_codeunits(pc.utf8_rpad(part, 6, "0"), 0, 6)
            part = pc.cast(part, pa.int64())
        parts[group.name] = part.to_numpy(zero_copy_only=False)
    return pd.DataFrame(parts, index=cells.index)


def _spoken_date(times: pd.Series) -> pd.Series:
    """``5 November 2026``: a date no reader can take the wrong way round."""
    return times.dt.day.astype(str) + " " + times.dt.month_name() + " " + times.dt.year.astype(str)
