"""Column mappings: a partner's file read as one of our record types.

A mapping says which of the file's headers holds each of our columns (``[columns]``), which of
our columns take one value for every row (``[constants]``) and how the partner spells values
(``[values."Media Type"]``: their spelling = ours). People write it as TOML; the store keeps it
by name. ``apply_mapping`` turns the file's headers and columns into ours, a whole column at a
time, before the headers are matched and the rows validated; it also says which file column
each of ours came from, so errors and the error file keep the partner's own headers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import tomli_w
from pydantic import BaseModel, ConfigDict, Field

from bulkpoc.domain.errors.codes import MAPPING_MISFIT
from bulkpoc.domain.errors.types import FileRejected, MappingInvalid
from bulkpoc.domain.records import ERROR_COLUMN, RECORD_TYPES, RecordType
from bulkpoc.domain.storable import storable

__all__ = [
    "ColumnMapping",
    "MappedTable",
    "SavedMapping",
    "apply_mapping",
    "check_name",
    "closest_header",
    "closest_note",
    "fold",
    "fold_header",
    "headers_key",
]

SECTIONS = ("columns", "constants", "values")
TOP_KEYS = ("record_type", "headers")
T = TypeVar("T")
CLOSE_ENOUGH = 50  # similarity (0-100) a file header needs to be named as the closest


def fold_header(header: str) -> str:
    """A header as headers are compared: without a byte order mark, spaces or case."""
    return "".join(header.lstrip("\ufeff").split()).casefold()


def fold(value: str) -> str:
    """A value as value spellings are compared: without surrounding spaces or case."""
    return value.strip().casefold()


class ColumnMapping(BaseModel):
    """How to read a partner's file as ``record_type``.

    ``columns``: our header -> the file's header; ``constants``: our header -> the value of
    every row; ``values``: our header -> {the partner's spelling: ours}; ``headers``: the file
    headers the mapping was made for (the web upload reuses it for a file with the same ones).
    """

    model_config = ConfigDict(frozen=True)

    record_type: str
    columns: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    headers: tuple[str, ...] = ()

    @classmethod
    def from_toml(cls, text: str, record_type: str | None = None) -> ColumnMapping:
        """The mapping a TOML text describes; ``MappingInvalid`` with one sentence if it is not
        one. ``record_type`` (or the text's own ``record_type`` key, or ``poc``) is what it maps
        to."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise MappingInvalid(f"The mapping is not valid TOML: {error}.") from None
        return cls.checked(data, record_type)

    @classmethod
    def checked(cls, data: Mapping[str, Any], record_type: str | None = None) -> ColumnMapping:
        """The mapping ``data`` (parsed TOML or JSON) describes, its column names spelt as ours;
        ``MappingInvalid`` with one sentence for anything it cannot mean."""
        _only_text(data)
        unknown = [key for key in data if key not in SECTIONS + TOP_KEYS]
        if unknown:
            raise MappingInvalid(
                f"The mapping has an unknown section '{unknown[0]}'; it may have "
                '[columns], [constants] and [values."Column"].'
            )
        rtype = _record_type(data.get("record_type"), record_type)
        columns = _strings(data.get("columns", {}), "columns")
        constants = _strings(data.get("constants", {}), "constants")
        values_section = _table(data.get("values", {}), "values")
        values = {
            column: _strings(spellings, f'values."{column}"')
            for column, spellings in values_section.items()
        }
        headers = data.get("headers", ())
        if not isinstance(headers, list | tuple) or not all(isinstance(h, str) for h in headers):
            raise MappingInvalid("The mapping's headers must be a list of texts.")
        mapping = cls(
            record_type=rtype.name,
            columns=_ours(columns, rtype, "columns"),
            constants=_ours(constants, rtype, "constants"),
            values=_ours(values, rtype, "values"),
            headers=tuple(headers),
        )
        mapping._check_consistent()
        return mapping

    def _check_consistent(self) -> None:
        both = sorted(set(self.columns) & set(self.constants))
        if both:
            raise MappingInvalid(
                f"The mapping gives the column '{both[0]}' both a file header and a constant; "
                "keep one."
            )
        blank = [column for column, header in self.columns.items() if not header.strip()]
        if blank:
            raise MappingInvalid(f"The mapping reads the column '{blank[0]}' from a blank header.")
        for column, spellings in self.values.items():
            folded: dict[str, str] = {}
            for spelling in spellings:
                if fold(spelling) in folded:
                    raise MappingInvalid(
                        f"The mapping spells '{spelling}' twice for the column '{column}' "
                        f"('{folded[fold(spelling)]}' is the same ignoring case and spaces)."
                    )
                folded[fold(spelling)] = spelling

    def to_toml(self) -> str:
        """The mapping as TOML that ``from_toml`` reads back as the same mapping."""
        data: dict[str, Any] = {"record_type": self.record_type}
        if self.headers:
            data["headers"] = list(self.headers)
        for section in SECTIONS:
            if getattr(self, section):
                data[section] = getattr(self, section)
        return tomli_w.dumps(data)


NAME_LENGTH = 100


@dataclass(frozen=True)
class SavedMapping:
    """A mapping as the store keeps it: by name, with its TOML as written, who saved it and
    when (naive UTC)."""

    name: str
    mapping: ColumnMapping
    toml: str
    saved_by: str
    saved_at: dt.datetime

    @property
    def record_type(self) -> str:
        return self.mapping.record_type


def check_name(name: str) -> str:
    """A mapping's name, trimmed; ``MappingInvalid`` for one that cannot be a name (it is part
    of the API's URLs, so it has no slash)."""
    name = name.strip()
    _only_text(name)
    if not name or len(name) > NAME_LENGTH or "/" in name:
        raise MappingInvalid(
            f"A mapping name must be 1 to {NAME_LENGTH} characters without '/', not {name!r}."
        )
    return name


def headers_key(headers: list[str] | tuple[str, ...]) -> str | None:
    """What a file's headers are compared by (folded, in order, without blank ones and the error
    file's Error column, so a partner's corrected error file matches): a SHA-256, or None."""
    kept = [fold_header(header) for header in headers]
    kept = [header for header in kept if header and header != fold_header(ERROR_COLUMN)]
    if not kept:
        return None
    folded = "\x1f".join(kept)
    return hashlib.sha256(folded.encode()).hexdigest()


@dataclass(frozen=True)
class MappedTable:
    """A file's table as our columns: ``data`` has columns 0..n-1 under ``headers``;
    ``origins[i]`` is the file column position column i came from (None for a constant)."""

    headers: list[str]
    data: pd.DataFrame
    origins: tuple[int | None, ...]

    def file_headers(self, file_headers: list[str]) -> dict[str, str]:
        """Our header -> the file's header it was read from, for the columns that were renamed."""
        return {
            ours: file_headers[origin].lstrip("\ufeff").strip()
            for ours, origin in zip(self.headers, self.origins, strict=True)
            if origin is not None and fold_header(ours) != fold_header(file_headers[origin])
        }


def apply_mapping(mapping: ColumnMapping, headers: list[str], data: pd.DataFrame) -> MappedTable:
    """The file's ``headers`` and ``data`` (columns 0..n-1, strings) as our columns.

    Mapped file columns take our header; a file column the mapping does not name keeps its own
    (a file may already carry some of our headers), unless it names a column the mapping reads
    from elsewhere. Constants are added as columns; value spellings are translated. A mapped
    header the file lacks fails the file with one sentence naming the closest header in it.
    """
    positions = {fold_header(header): at for at, header in enumerate(headers)}
    _check_present(mapping, headers, positions)
    taken = {fold_header(column) for column in (*mapping.columns, *mapping.constants)}
    renamed: dict[int, list[str]] = {}
    for ours, theirs in mapping.columns.items():
        renamed.setdefault(positions[fold_header(theirs)], []).append(ours)
    out_headers: list[str] = []
    origins: list[int | None] = []
    for at, header in enumerate(headers):
        if at in renamed:
            out_headers += renamed[at]
            origins += [at] * len(renamed[at])
        elif fold_header(header) not in taken:
            out_headers.append(header)
            origins.append(at)
    series = [data[at] for at in origins if at is not None]
    dtype = data.dtypes.iloc[0] if data.shape[1] else "str"
    for ours, value in mapping.constants.items():
        out_headers.append(ours)
        origins.append(None)
        series.append(pd.Series(value, index=data.index, dtype=dtype))
    spellings = {fold_header(column): table for column, table in mapping.values.items()}
    series = [
        _translated(column, spellings[fold_header(header)])
        if fold_header(header) in spellings
        else column
        for header, column in zip(out_headers, series, strict=True)
    ]
    frame = pd.concat(series, axis=1, ignore_index=True) if series else data.iloc[:, :0]
    return MappedTable(out_headers, frame, tuple(origins))


def closest_header(wanted: str, headers: list[str]) -> str | None:
    """The file header most like ``wanted`` (ignoring case and spaces), if any is close."""
    from rapidfuzz import fuzz, process  # only a file that does not fit pays for it

    shown = [header.lstrip("\ufeff").strip() for header in headers]
    shown = [header for header in shown if header and fold_header(header) != "error"]
    found = process.extractOne(
        fold_header(wanted),
        [fold_header(header) for header in shown],
        scorer=fuzz.ratio,
        score_cutoff=CLOSE_ENOUGH,
    )
    return shown[found[2]] if found else None


def closest_note(wanted: str, headers: list[str]) -> str:
    """What a missing column's message says of the file: its closest header, if any."""
    close = closest_header(wanted, headers)
    return f"the closest in the file is '{close}'" if close else "no header in the file is close"


def _check_present(mapping: ColumnMapping, headers: list[str], positions: dict[str, int]) -> None:
    missing = [
        (ours, theirs)
        for ours, theirs in mapping.columns.items()
        if fold_header(theirs) not in positions
    ]
    if not missing:
        return
    parts = [
        f"'{theirs}' (for {ours}; {closest_note(theirs, headers)})" for ours, theirs in missing
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    raise FileRejected(MAPPING_MISFIT, s="s" if len(parts) > 1 else "", columns=listed)


def _translated(column: pd.Series, spellings: dict[str, str]) -> pd.Series:
    """``column`` with the partner's spellings replaced by ours (others left as they are)."""
    table = {fold(theirs): ours for theirs, ours in spellings.items()}
    found = column.str.strip().str.casefold().map(table)
    return column.where(found.isna(), found).astype(column.dtype)


def _record_type(in_text: object, given: str | None) -> RecordType:
    if in_text is not None and not isinstance(in_text, str):
        raise MappingInvalid('The mapping\'s record_type must be a text such as "poc".')
    if in_text and given and in_text != given:
        raise MappingInvalid(f"The mapping is for the record type '{in_text}', not '{given}'.")
    name = given or in_text or "poc"
    if name not in RECORD_TYPES:
        raise MappingInvalid(
            f"The record type '{name}' does not exist; use one of {', '.join(RECORD_TYPES)}."
        )
    return RECORD_TYPES[name]


def _table(section: object, name: str) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise MappingInvalid(f"The mapping's {name} must be a section ([{name}]).")
    return section


def _only_text(value: object) -> None:
    """Refuse, before anything quotes it, a text no file or store can hold: a NUL, or an
    unpaired surrogate (JSON can spell one, UTF-8 cannot encode it); in dicts and lists too."""
    if isinstance(value, str):
        if not storable(value):
            raise MappingInvalid(
                f"The mapping holds {value!r}, with a NUL or an unpaired surrogate, which no "
                "file's header or cell can hold."
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _only_text(key)
            _only_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _only_text(item)


def _strings(section: object, name: str) -> dict[str, str]:
    table = _table(section, name)
    for key, value in table.items():
        if not isinstance(value, str):
            raise MappingInvalid(
                f"The mapping's [{name}] gives '{key}' a {type(value).__name__}, "
                'not a text in quotes (write "Y", not Y or true).'
            )
    return table


def _ours(section: dict[str, T], rtype: RecordType, name: str) -> dict[str, T]:
    """``section`` with its keys spelt as our column names; an unknown one is refused."""
    known = {fold_header(header): header for header in rtype.headers}
    known.pop(fold_header(ERROR_COLUMN), None)
    ours: dict[str, T] = {}
    for key, value in section.items():
        if fold_header(key) not in known:
            raise MappingInvalid(
                f"The mapping's [{name}] names '{key}', which is not a {rtype.label} column; "
                f"the columns are {', '.join(rtype.headers)}."
            )
        ours[known[fold_header(key)]] = value
    return ours
