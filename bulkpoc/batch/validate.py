"""Validate: turn the file's text into normalised values, recording every problem of every row.

Works a column at a time. Store-dependent checks that need only what is already stored (unknown
IDs, references by name, the number inventory) happen here; checks that depend on what a row
changes happen in ``plan``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bulkpoc.batch.read import strip
from bulkpoc.domain import invisible, rowhash
from bulkpoc.domain import parsers as parse
from bulkpoc.domain.errors.codes import (
    DUPLICATE_IN_FILE,
    INVALID_YES_NO,
    NO_ROW_CHANGED_COLUMN,
    REFERENCE_REPAIRED,
    REQUIRED,
    SPREADSHEET_ERROR,
    UNKNOWN_ID,
    UNKNOWN_REFERENCE,
    ErrorType,
)
from bulkpoc.domain.errors.log import ErrorLog, row_list
from bulkpoc.domain.errors.types import FileRejected
from bulkpoc.domain.last_modified import at_precision_of, parse_last_modified
from bulkpoc.domain.records.as_text import records_as_text
from bulkpoc.domain.records.base import (
    LAST_MODIFIED,
    ROW_CHANGED,
    Field,
    RecordType,
    Sheet,
)
from bulkpoc.domain.records.keys import UniqueKey, casefold
from bulkpoc.domain.records.snapshot import Snapshot
from bulkpoc.domain.suggest import suggestions
from bulkpoc.domain.users import User
from bulkpoc.formats.base import RawTable
from bulkpoc.store.record_tables import unique_keys


def select_rows(
    raw: RawTable, positions: dict[str, int], rtype: RecordType, rows_mode: str
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Cleaned cells of the rows to process, their row numbers, and rows with a bad Row Changed."""
    data = raw.data
    cells = pd.DataFrame(index=data.index)
    for header in rtype.headers:
        cells[header] = strip(data[positions[header]]) if header in positions else ""
    if rows_mode != "changed":
        return cells, raw.rows, pd.Series(False, index=data.index)
    if ROW_CHANGED not in positions:
        raise FileRejected(NO_ROW_CHANGED_COLUMN)
    changed = parse.parse_row_changed(cells[ROW_CHANGED])
    keep = changed.values | changed.invalid
    return cells[keep], raw.rows[keep], changed.invalid[keep]


def validate(
    raw: RawTable,
    positions: dict[str, int],
    rtype: RecordType,
    snapshot: Snapshot,
    user: User,
    rows_mode: str = "all",
    region: str = "US",
    overwrite: bool = False,
    prepare: Callable[[Sheet], None] | None = None,
) -> Sheet:
    """Parse and check every cell of the rows to process; ``prepare`` marks the new sheet's
    rows first (an undo's: which remove and which re-create a record)."""
    cells, rows, bad_row_changed = select_rows(raw, positions, rtype, rows_mode)
    sheet = Sheet(rtype, user, snapshot, region, overwrite, cells, rows, ErrorLog(rows))
    if prepare is not None:
        prepare(sheet)
    sheet.error(bad_row_changed, ROW_CHANGED, INVALID_YES_NO)
    _report_error_cells(sheet, raw, positions)
    _report_row_problems(sheet, raw)
    sheet.values = pd.DataFrame(index=cells.index)
    _parse_key(sheet)
    sheet.to_check = ~identical_to_store(sheet, bad_row_changed) | bad_row_changed
    for field in rtype.fields:
        _parse_field(sheet, field)
    if rtype.check:
        rtype.check(sheet)
    _derive(sheet)
    _check_duplicates(sheet, sheet.values[rtype.key.name], rtype.key.header)
    for unique in unique_keys(rtype):
        _add_stored_unique_values(sheet, unique)
        _check_duplicates(sheet, unique.codes(sheet.values), unique.header)
    return sheet


def identical_to_store(sheet: Sheet, to_check: pd.Series | None = None) -> pd.Series:
    """Rows that are exactly what an export of the store holds: they change nothing.

    Stored records were validated when written, so these rows skip parsing; everything else
    (duplicates, counts) still sees them. A key that appears twice is never taken as identical,
    so the duplicate rule fails both rows as usual. A row whose cells hash to its record's row
    hash is identical without reading the record; the stored values of the other updates
    (and of ``to_check``, rows checked whatever they hold) are read and compared.
    """
    identical = pd.Series(False, index=sheet.index)
    key_cells = sheet.cells[sheet.rtype.key.header]
    candidates = sheet.is_update & ~key_cells.duplicated(keep=False)
    hashed = _matches_row_hash(sheet, candidates)
    skip_reading = hashed if to_check is None else hashed & ~to_check
    _read_stored(sheet, sheet.is_update & ~skip_reading)
    identical[hashed] = True
    candidates &= ~hashed
    if not candidates.any():
        return identical
    stored = sheet.stored[candidates]
    text = records_as_text(sheet.rtype, sheet.snapshot.refs, stored, with_timestamps=False)
    same = pd.Series(True, index=text.index)
    for header in text.columns:
        same &= (sheet.cells.loc[candidates, header] == text[header]).to_numpy()
    if sheet.rtype.has_last_modified:
        # Compared as instants, at the precision the row gives, as the conflict rule does:
        # parsing 100,000 timestamps is cheaper than formatting them.
        written = parse_last_modified(sheet.cells.loc[candidates, LAST_MODIFIED]).values
        stored_time = pd.to_datetime(stored["last_modified"])
        same &= (written == at_precision_of(stored_time, written)).to_numpy()
    identical[same.index] = same.to_numpy()
    return identical


def _matches_row_hash(sheet: Sheet, candidates: pd.Series) -> pd.Series:
    """Rows whose key is written as an export writes it and whose cells hash to the row hash
    of their record."""
    matches = pd.Series(False, index=sheet.index)
    stored_hash = sheet.stored["row_hash"]
    candidates = candidates & stored_hash.notna()
    if not candidates.any():
        return matches
    rtype, everyone = sheet.rtype, bool(candidates.all())
    cells = sheet.cells if everyone else sheet.cells[candidates]
    stored_hash = stored_hash if everyone else stored_hash[candidates]
    same = stored_hash.to_numpy(dtype="int64") == rowhash.cell_hashes(rtype, cells)
    keys = sheet.values.loc[cells.index, rtype.key.name]
    key_text = keys.astype(str) if rtype.key.kind == "id" else keys
    same &= (cells[rtype.key.header] == key_text).to_numpy()
    matches[cells.index] = same
    return matches


def _read_stored(sheet: Sheet, rows: pd.Series) -> None:
    """Complete ``sheet.stored`` with every stored value of the records ``rows`` update."""
    if not rows.any():  # nothing to read: the columns alone, empty
        # One column of None for all of them: nothing writes to it, and a million rows of
        # each of a dozen columns was a hundred megabytes of nothing.
        missing = pd.Series(None, index=sheet.index, dtype=object)
        for column in sheet.snapshot.records(pd.Index([])).columns:
            if column not in sheet.stored:
                sheet.stored[column] = missing
        return
    wanted = sheet.values[sheet.rtype.key.name].where(rows, None).astype(object)
    records = sheet.snapshot.records(pd.Index(wanted[rows.to_numpy()]))
    aligned = records.reindex(wanted)
    for column in records.columns:
        if column not in sheet.stored:
            sheet.stored[column] = aligned[column].to_numpy()


def _add_stored_unique_values(sheet: Sheet, key: UniqueKey) -> None:
    """Give rows identical to the store their stored value of ``key`` where a checked row has
    the same one.

    Their values were never read (they skipped parsing), and only such a clash can make one of
    them a duplicate: two stored records never share a value of a unique key.
    """
    unchecked = ~sheet.to_check & sheet.is_update
    if not unchecked.any() or sheet.to_check.sum() == 0:
        return
    found = sheet.snapshot.unique_values(key, sheet.values[sheet.to_check])
    record = sheet.values[sheet.rtype.key.name]
    rows = unchecked & record.isin(found.index)
    for column in key.columns:
        sheet.values.loc[rows, column] = record[rows].map(found[column]).to_numpy()


def _derive(sheet: Sheet) -> None:
    """Derived key columns: computed for the rows to check, taken from the store for the rest."""
    to_check = sheet.to_check
    # Derive adds columns to the frame it is given: a shallow copy, or a selection (a copy).
    rows = sheet.values.copy(deep=False) if to_check.all() else sheet.values[to_check]
    derived = sheet.rtype.derive(rows)
    for column in derived.columns:
        if column not in sheet.values:
            sheet.values[column] = sheet.with_stored(column, derived[column], text=True)


def _report_error_cells(sheet: Sheet, raw: RawTable, positions: dict[str, int]) -> None:
    """Spreadsheet error values (#N/A, #REF!…) fail their row: they are not blanks.

    One check per column and error text, not per cell: a #N/A filled down a column is one
    comparison of the column's rows, however many cells hold it.
    """
    headers = {position: header for header, position in positions.items()}
    found = pd.DataFrame(raw.cell_errors, columns=["row", "position", "text"])
    found = found[found["position"].isin(list(headers))]
    for (position, text), cells in found.groupby(["position", "text"]):
        header = headers[int(position)]
        sheet.error(
            sheet.rows.isin(cells["row"]),
            header,
            SPREADSHEET_ERROR,
            values=pd.Series(text, index=sheet.index),
        )


def _report_row_problems(sheet: Sheet, raw: RawTable) -> None:
    """Rows the reader could read only in part (more cells than the header) fail alone."""
    kinds: dict[tuple[str, ErrorType], dict[int, dict[str, object]]] = {}
    for problem in raw.row_problems:
        found = kinds.setdefault((problem.column, problem.error), {})
        found.setdefault(problem.row, {"value": problem.value, **problem.params})
    for (column, error), by_row in kinds.items():
        frame = pd.DataFrame.from_dict(by_row, orient="index")
        params = {name: sheet.rows.map(frame[name]) for name in frame.columns}
        sheet.error(sheet.rows.isin(frame.index), column, error, values=params["value"], **params)


def _parse_key(sheet: Sheet) -> None:
    rtype, key = sheet.rtype, sheet.rtype.key
    existing = sheet.snapshot.existing
    cells = sheet.cells[key.header]
    if key.kind == "id":
        parsed = parse.parse_id(cells, key.header)
    else:
        parsed = parse.parse_phone(cells, key.header, sheet.region, existing.index)
    sheet.record(key.header, parsed)
    values = parsed.values
    sheet.values[key.name] = values
    known = values.isin(existing.index) & values.notna()
    if key.kind == "id":
        unknown = values.notna() & ~known
        sheet.error(unknown, key.header, UNKNOWN_ID, label=rtype.label.lower())
    elif key.required:
        sheet.error(cells == "", key.header, REQUIRED)
    sheet.is_update = known.astype(bool)
    stored = existing.reindex(values.where(known, None).astype(object))
    stored.index = sheet.index
    sheet.stored = stored


def _parse_field(sheet: Sheet, field: Field) -> None:
    if field.kind == "address":
        return  # depends on the media type: the record type's own check reads it
    to_check = sheet.to_check
    if not to_check.any():  # every row is identical to the store
        sheet.values[field.name] = sheet.with_stored(
            field.name, pd.Series(dtype=object), text=field.kind == "text"
        )
        return
    cells = sheet.cells.loc[to_check, field.header]
    if field.kind == "text":
        parsed = parse.parse_text(cells, field.header, field.max_length)
        parsed.values = parsed.values.where(cells != "", None)
    elif field.kind == "yes_no":
        parsed = parse.parse_yes_no(cells, field.header)
    elif field.kind == "media_type":
        parsed = parse.parse_media_type(cells)
    elif field.kind == "ref":
        table = sheet.snapshot.refs[field.ref or ""]
        parsed = _resolve_reference(cells, field, table, sheet.values.get("media_type"))
    else:
        raise ValueError(f"unknown field kind {field.kind}")
    sheet.record(field.header, parsed)
    if field.kind == "ref" and parsed.repaired is not None and parsed.repaired.any():
        _warn_repaired(sheet, field, cells, parsed.repaired)
    parsed_values = parsed.values.astype(object)
    blank = cells == ""
    is_update, is_create = sheet.is_update[to_check], sheet.is_create[to_check]
    if field.keep_if_blank:
        keep = blank & is_update
        parsed_values[keep] = sheet.stored.loc[keep[keep].index, field.name]
    if field.default is not None:
        parsed_values[blank & is_create] = field.default
    if field.required:
        missing = blank & ~(field.keep_if_blank & is_update)
        sheet.error(missing, field.header, REQUIRED)
    sheet.values[field.name] = sheet.with_stored(
        field.name, parsed_values, text=field.kind == "text"
    )


def _resolve_reference(
    cells: pd.Series, field: Field, table: pd.DataFrame, media: pd.Series | None
) -> parse.Parsed:
    """Names of skills, scripts and chat profiles to their IDs (case-insensitively).

    A name holding invisible characters (a no-break space, a zero-width space) that names an
    existing record once they are repaired is repaired (``repaired``): only then, so a stored
    name holding one still matches as written. An unknown name suggests the closest existing
    ones, preferring those of the row's ``media`` type.
    """
    keys = casefold(cells)
    ids = keys.map(table["id"])
    hidden = invisible.has_invisible(cells)
    if hidden.any():
        retry = hidden & ids.isna()
        if retry.any():
            keys[retry] = casefold(invisible.repair(cells[retry])).to_numpy()
            ids[retry] = keys[retry].map(table["id"]).to_numpy()
    found = ids.astype("Int64").astype(object)
    parsed = parse.Parsed(found.where(found.notna(), None))
    if hidden.any():
        # Matched (the fold reads a no-break space as a space) to a name that holds none.
        matched = ids[hidden].dropna().map(table.set_index("id")["name"])
        parsed.repaired = pd.Series(False, index=cells.index)
        parsed.repaired[matched.index] = ~invisible.has_invisible(matched).to_numpy()
    unknown = (cells != "") & ids.isna()
    if unknown.any():
        parsed.fail(
            unknown,
            UNKNOWN_REFERENCE,
            what=field.header.lower(),
            did_you_mean=suggestions(keys[unknown], table, media),
        )
    return parsed


def _warn_repaired(sheet: Sheet, field: Field, cells: pd.Series, repaired: pd.Series) -> None:
    """Say which rows of a reference column were repaired, and how."""
    rows = sheet.rows[repaired[repaired].index].sort_values().tolist()
    text = "".join(cells[repaired].unique())
    sheet.warnings.append(
        REFERENCE_REPAIRED.message(
            count=len(rows),
            header=field.header,
            rows=("row " if len(rows) == 1 else "rows ") + row_list(rows),
            repair=invisible.repairs_made(text),
            what=field.header.lower(),
        )
    )


def _check_duplicates(sheet: Sheet, key: pd.Series, header: str) -> None:
    """The same key twice in one file fails every row that has it, naming a few of the others.
    A row that removes its record (an undo's) gives its keys up: it takes none."""
    present = key.notna().to_numpy()
    if sheet.removing is not None:
        present = present & ~sheet.removing.to_numpy()
    codes = _group_codes(key)
    counts = np.bincount(codes[present], minlength=1)
    duplicated = present & (counts[np.where(present, codes, 0)] > 1)
    if not duplicated.any():
        return
    others = _other_rows(codes[duplicated], sheet.rows[duplicated])
    sheet.error(pd.Series(duplicated, index=sheet.index), header, DUPLICATE_IN_FILE, others=others)


def _group_codes(key: pd.Series) -> np.ndarray:
    """A number for each distinct value of ``key``: equal values, equal numbers.

    Arrow text is ranked, which sorts it in place: factorising it built a dictionary of every
    distinct value, a hundred megabytes for a million names, at the batch's peak.
    """
    if isinstance(key.dtype, pd.StringDtype) and key.dtype.storage == "pyarrow":
        ranks = pc.rank(pa.array(key, from_pandas=True), tiebreaker="dense")
        return ranks.to_numpy().astype(np.int64)
    return pd.factorize(key)[0]


SHOWN_ROWS = 5  # rows a duplicate message names; it counts the rest


def _other_rows(codes: np.ndarray, rows: pd.Series) -> pd.Series:
    """For each row, the other rows with its key (the same code): "row 3", "rows 3, 4, 5, 6, 7
    and 7,994 more".

    Linear in the rows: only the first SHOWN_ROWS + 1 rows of each group are ever listed, and
    each row's text is one of SHOWN_ROWS + 2 per group (it leaves out itself if listed).
    """
    group = pd.Series(codes, index=rows.index)
    frame = pd.DataFrame({"group": group, "row": rows}).sort_values(["group", "row"])
    rank = frame.groupby("group").cumcount()
    size = frame.groupby("group")["row"].transform("size")
    leading = frame.assign(rank=rank)[rank <= SHOWN_ROWS]
    first = leading.pivot(index="group", columns="rank", values="row")
    first = first.reindex(columns=range(SHOWN_ROWS + 1))
    texts = pd.Series("", index=frame.index, dtype=object)
    for left_out in range(SHOWN_ROWS + 1):
        # Rows ranked left_out (or, for the last variant, every later row) leave out that row.
        members = rank == left_out if left_out < SHOWN_ROWS else rank >= SHOWN_ROWS
        if not members.any():
            continue
        listed = first.drop(columns=left_out).loc[frame.loc[members, "group"]]
        listed.index = frame.index[members.to_numpy()]
        texts[members] = _row_list_text(listed, size[members] - 1)
    return texts


def _row_list_text(listed: pd.DataFrame, total: pd.Series) -> pd.Series:
    """'row 3', 'rows 3 and 4', 'rows 3, 4, 5 and 12 more': listed rows first, then a count."""
    shown = listed.notna().sum(axis=1)
    more = total - shown
    numbers = listed.astype("Int64").astype(str).astype(object)
    text = numbers[listed.columns[0]]
    for position, column in enumerate(listed.columns[1:], start=1):
        present = listed[column].notna()
        last = (shown == position + 1) & (more == 0)
        separator = pd.Series(", ", index=listed.index, dtype=object).where(~last, " and ")
        text = text.where(~present, text + separator + numbers[column])
    counted = more > 0
    if counted.any():
        text[counted] = (
            text[counted] + " and " + parse.map_distinct(more[counted], "{:,}".format) + " more"
        )
    prefix = pd.Series("rows ", index=listed.index, dtype=object).where(total > 1, "row ")
    return prefix + text
