"""What a record type is: its columns, its key and its extra rules; and the sheet of rows
those rules check.

The pipeline is generic; everything that differs between points of contact, skills, scripts,
chat profiles and numbers is declared here and in the sibling modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from bulkpoc.domain.errors.codes import UPLOAD_NOT_PERMITTED, ErrorType
from bulkpoc.domain.errors.log import ErrorLog, Param
from bulkpoc.domain.errors.types import PermissionDenied
from bulkpoc.domain.parsers import TEXT, Parsed
from bulkpoc.domain.records.snapshot import Snapshot
from bulkpoc.domain.users import User

Kind = Literal["text", "yes_no", "media_type", "ref", "address", "id", "phone"]

ROW_CHANGED = "Row Changed"
LAST_MODIFIED = "Last Modified"
ERROR_COLUMN = "Error"


@dataclass(frozen=True)
class Field:
    """One column of a record file and the table column it maps to."""

    header: str
    name: str
    kind: Kind
    required: bool = False  # a blank cell is an error (unless keep_if_blank on update)
    header_required: bool = False  # the file must have this column
    fixed: bool = False  # cannot change on update
    default: Any = None  # value on create when the cell is blank
    keep_if_blank: bool = False  # on update, a blank cell keeps the stored value
    max_length: int = 100
    permission: str | None = None  # needed to change this field on an existing record
    ref: str | None = None  # for kind "ref": the record type it names ("skill", ...)
    # The table column holding this field's folded form, which a unique constraint of the
    # table covers; clashes on that constraint are reported against this field's column.
    unique_column: str | None = None


# The columns several record types share: a unique name (checked on its folded form), and a
# media type that an update may not change.
NAME = Field("Name", "name", "text", required=True, header_required=True, unique_column="name_key")
MEDIA_TYPE = Field(
    "Media Type", "media_type", "media_type", required=True, header_required=True, fixed=True
)


@dataclass(frozen=True)
class RecordType:
    """A kind of record the bulk engine manages."""

    name: str  # CLI name: poc, skill, script, chat-profile, number
    label: str  # "Point of Contact"
    plural: str  # "Points of Contact"
    key: Field
    fields: tuple[Field, ...]
    permission: str  # needed to upload this type at all
    has_last_modified: bool = False
    needs: tuple[str, ...] = ()  # other data the rules look up: "number", "poc"
    sheet_names: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()
    # Type-specific rules, run on the whole sheet. ``check`` runs after every cell is parsed,
    # ``check_changes`` once the plan knows which rows change what.
    check: Callable[[Sheet], None] | None = None
    check_changes: Callable[[Sheet], None] | None = None
    # Add derived columns (name_key, address_key, ...) to a frame of values.
    derive: Callable[[pd.DataFrame], pd.DataFrame] = field(default=lambda frame: frame)
    # Fill in values the system assigns on create (e.g. chat identifiers).
    assign: Callable[[pd.DataFrame], pd.DataFrame] = field(default=lambda frame: frame)

    def check_may_upload(self, user: User) -> None:
        """Refuse (``PermissionDenied``, naming the permission) a user who may not upload
        this type's files: nor then save or remove a mapping of them, which decides how
        they are read."""
        if self.permission not in user.permissions:
            raise PermissionDenied(
                UPLOAD_NOT_PERMITTED,
                user=user.name,
                plural=self.plural.lower(),
                permission=self.permission,
            )

    @property
    def system_key(self) -> bool:
        """True when the store assigns the key (an integer ID) rather than the file."""
        return self.key.kind == "id"

    @property
    def headers(self) -> list[str]:
        headers = [self.key.header, ROW_CHANGED, *(f.header for f in self.fields)]
        if self.has_last_modified:
            headers.append(LAST_MODIFIED)
        return headers

    @property
    def references(self) -> tuple[str, ...]:
        """The record types (skill, script, chat-profile) this type's rows name."""
        return tuple(dict.fromkeys(f.ref for f in self.fields if f.kind == "ref" and f.ref))

    @property
    def required_headers(self) -> list[str]:
        return [f.header for f in (self.key, *self.fields) if f.header_required]

    def field(self, name: str) -> Field:
        for candidate in (self.key, *self.fields):
            if candidate.name == name:
                return candidate
        raise KeyError(name)


@dataclass
class Sheet:
    """The rows of one batch as they move through validate and plan, as whole columns.

    The cleaned cell text, the normalised values, the stored record each row updates, and the
    error log. A record type's rules read and mark its columns; none loops over rows. It lives
    beside ``RecordType`` because each names the other: a record type's rules take a sheet,
    and a sheet is of one record type.
    """

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
    # An undo's rows: those that remove the record the undone batch created, and, for rows
    # that re-create a record an undo removed, the key it had (kept when still free).
    removing: pd.Series | None = None
    restoring: pd.Series | None = None

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
