"""Every error bulkpoc reports, by code: its title and its message template.

Codes are the stable part (API clients, the web grid's filters and translations key on them);
titles name a kind of problem in a list ("Unknown reference: 312 rows"); templates are filled
with the parameters a rule gives. Rules and readers never write message text of their own:
they name an ``ErrorType`` from here and its parameters. As frictionless-py does.

A parameter may be a whole column (a pandas Series): ``render`` then builds one message per
row with vectorised string concatenation, not a ``str.format`` per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from string import Formatter
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pandas is imported only where a batch runs, not by every CLI command
    import numpy as np
    import pandas as pd

Level = Literal["cell", "row", "file", "warning"]


@dataclass(frozen=True, eq=False)
class ErrorType:
    """One kind of error: a stable code, a short title, a message template.

    ``defaults`` fills parameters a rule may leave out. Each type is a singleton of this
    module, so types compare and hash by identity.
    """

    code: str
    title: str
    template: str
    level: Level = "cell"
    defaults: Mapping[str, object] = field(default_factory=dict)
    fields: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        names = tuple(name for _, name, _, _ in Formatter().parse(self.template) if name)
        object.__setattr__(self, "fields", names)

    def message(self, **params: object) -> str:
        """The message for one occurrence."""
        return self.template.format(**{**self.defaults, **params})

    def render(self, index: pd.Index, params: Mapping[str, object]) -> str | np.ndarray:
        """Messages for the rows in ``index``: a string when every parameter is a scalar.

        Series parameters are looked up at ``index``; other values are used as they are.
        """
        import numpy as np  # as above: loaded only where a batch runs
        import pandas as pd

        params = {**self.defaults, **params}
        if not any(isinstance(params.get(name), pd.Series) for name in self.fields):
            return self.message(**params)
        parts: list[object] = []
        for literal, name, spec, conversion in Formatter().parse(self.template):
            if literal:
                parts.append(literal)
            if name is None:
                continue
            value = params[name]
            if isinstance(value, pd.Series):
                parts.append(_text(value.loc[index]))
            else:
                parts.append(format(value if conversion is None else repr(value), spec or ""))
        messages = np.full(len(index), "", dtype=object)
        for part in parts:
            messages = messages + part
        return messages


def _text(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), "").astype(str).to_numpy(dtype=object)


def _types(*types: ErrorType) -> dict[str, ErrorType]:
    catalogue: dict[str, ErrorType] = {}
    for error_type in types:
        assert error_type.code not in catalogue, f"code {error_type.code} listed twice"
        catalogue[error_type.code] = error_type
    return catalogue


# --- cells and rows ------------------------------------------------------------------------

REQUIRED = ErrorType(
    "required",
    "Required value missing",
    "{header} is required{detail}.",
    defaults={"detail": ""},
)
INVALID_YES_NO = ErrorType("invalid_yes_no", "Not Y or N", "{header} must be Y or N.")
TOO_LONG = ErrorType("too_long", "Too long", "{header} must be at most {limit} characters.")
CONTROL_CHARACTER = ErrorType(
    "control_character",
    "Line break or control character",
    "{header} must not contain line breaks, tabs or control characters.",
)
INVALID_ID = ErrorType(
    "invalid_id",
    "Not an ID",
    "{header} must be a whole number copied from an export, or blank for a new record.",
)
UNKNOWN_ID = ErrorType(
    "unknown_id",
    "Unknown ID",
    "There is no {label} with {header} {value}; leave the ID blank to create a new one, or copy "
    "it from a fresh export.",
)
INVALID_MEDIA_TYPE = ErrorType(
    "invalid_media_type", "Unknown media type", "Media Type must be one of {choices}."
)
UNKNOWN_REFERENCE = ErrorType(
    "unknown_reference",
    "Unknown reference",
    "{header} '{value}' does not exist; {did_you_mean}use the name of an existing {what} "
    "(download the {what} export for the list).",
    defaults={"did_you_mean": ""},
)


def did_you_mean(names: Sequence[str]) -> str:
    """UNKNOWN_REFERENCE's ``did_you_mean``: "did you mean 'A', 'B' or 'C'? Otherwise " or "".

    The closest existing names come first; without any, the message is the plain one.
    """
    if not names:
        return ""
    quoted = [f"'{name}'" for name in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"did you mean {listed}? Otherwise "


MEDIA_TYPE_MISMATCH = ErrorType(
    "media_type_mismatch",
    "Wrong media type",
    "{header} '{name}' handles {theirs}, not {ours}; choose a {what} of the same media type.",
)
IVR_NOT_PHONE = ErrorType(
    "ivr_not_phone",
    "IVR reporting on a non-phone point of contact",
    "IVR Reporting Enabled can be Y only for Phone Call points of contact.",
)
CHAT_PROFILE_NOT_CHAT = ErrorType(
    "chat_profile_not_chat",
    "Chat profile on a non-chat point of contact",
    "Chat Profile can be set only for Chat points of contact; leave it blank.",
)
INVALID_PHONE = ErrorType(
    "invalid_phone",
    "Not a phone number",
    "{header} is not a valid phone number; use the international form such as +12025550123 "
    "(numbers without a country code are read as {region}).",
)
PHONE_DIGITS_LOST = ErrorType(
    "phone_digits_lost",
    "Phone number lost digits in a spreadsheet",
    "{header} was turned into a number in scientific notation by a spreadsheet and lost "
    "digits; format the column as Text and enter the full number.",
)
INVALID_EMAIL = ErrorType(
    "invalid_email", "Not an email address", "{header} is not a valid email address: {reason}"
)
NOT_IN_INVENTORY = ErrorType(
    "not_in_inventory",
    "Number not in the inventory",
    "Point of Contact {number} is not in the number inventory; add it to the inventory "
    "(bulkpoc import --type number) before using it.",
)
NUMBER_NOT_CAPABLE = ErrorType(
    "number_not_capable",
    "Number cannot carry this media type",
    "Number {number} is not {capability}-capable in the number inventory.",
)
ASSIGNED_BY_SYSTEM = ErrorType(
    "assigned_by_system",
    "Assigned by the system",
    "Point of Contact is assigned by the system for {media}; leave it blank when creating.",
)
SYSTEM_ADDRESS_CHANGED = ErrorType(
    "system_address_changed",
    "System-assigned address changed",
    "Point of Contact of a {media} point of contact is assigned by the system and cannot be "
    "changed; leave it blank or as exported.",
)
SPREADSHEET_ERROR = ErrorType(
    "spreadsheet_error",
    "Spreadsheet error value",
    "{header} holds the spreadsheet error {value}; fix the formula or type the value.",
)
EXTRA_CELLS = ErrorType(
    "extra_cells",
    "More cells than the header",
    "Row has {cells} cells but the header has {width}; a value probably contains an unquoted "
    "{delimiter} — put that value in double quotes.",
    level="row",
)
DUPLICATE_IN_FILE = ErrorType(
    "duplicate_in_file",
    "Duplicate in the file",
    "{header} '{value}' also appears in {others}; each may appear only once in a file.",
)
FIXED_ON_UPDATE = ErrorType(
    "fixed_on_update",
    "Cannot change on update",
    "{header} cannot change on update (it is {stored}); create a new {label} instead.",
)
PERMISSION_DENIED = ErrorType(
    "permission_denied",
    "Permission needed",
    "Changing {header} needs the '{permission}' permission, which {user} does not have.",
)
INVALID_LAST_MODIFIED = ErrorType(
    "invalid_last_modified",
    "Last Modified is not a date",
    "{header} is not a date and time; leave it as exported.",
)
AMBIGUOUS_LAST_MODIFIED = ErrorType(
    "ambiguous_last_modified",
    "Last Modified is ambiguous",
    "{header} '{value}' could be {first} or {second}; write it as YYYY-MM-DD HH:MM, or leave "
    "it as exported.",
)
CONFLICT = ErrorType(
    "conflict",
    "Changed since the export",
    "Conflict: this record was changed at {changed_at}, after the Last Modified in this row; "
    "download it again and reapply your change, or upload with Overwrite.",
    level="row",
)
ALREADY_USED = ErrorType(
    "already_used",
    "Already used by another record",
    "{header} '{value}' is already used by {kind} '{holder}' ({key_header} {holder_key}).",
)
DEACTIVATION_BLOCKED = ErrorType(
    "deactivation_blocked",
    "Cannot be deactivated",
    "Cannot be deactivated because it is still assigned to an active skill. {way_out}",
)
SKILL_INACTIVE = ErrorType(
    "skill_inactive",
    "Inactive skill",
    "Skill '{name}' is inactive; only active skills can be assigned to an active point of contact.",
)
NUMBER_IN_USE = ErrorType(
    "number_in_use",
    "Number in use",
    "{header} cannot be turned off: {media} point of contact '{user}' uses this number; move it "
    "to another number first.",
)

# --- undoing a batch: its rows ---------------------------------------------------------------

UNDO_CONFLICT = ErrorType(
    "undo_conflict",
    "Changed since the batch",
    "Not undone: {header} is now '{current}', not '{after}' as batch {batch} left it, so "
    "someone changed it since; it stays as it is (undo with Force to set it back to "
    "'{before}').",
)
STILL_NEEDED = ErrorType(
    "still_needed",
    "Still needed by other records",
    "Cannot be removed: {dependents} {verb} it; {remedy} first, then undo again.",
    level="row",
)
RECORD_GONE = ErrorType(
    "record_gone",
    "Record no longer exists",
    "This {label} no longer exists, so there is nothing of batch {batch} to undo in it.",
    level="row",
)
CREATED_CHANGED = ErrorType(
    "created_changed",
    "Created record changed since",
    "Not removed: {header} is now '{current}', not '{after}' as batch {batch} created it, so "
    "someone changed it since (undo with Force to remove it anyway).",
)

# --- warnings: what a batch repaired -------------------------------------------------------

HEADER_REPAIRED = ErrorType(
    "header_repaired",
    "Invisible characters repaired in a header",
    "Repaired the header '{header}' (column {column}): {repair}.",
    "warning",
)
REFERENCE_REPAIRED = ErrorType(
    "reference_repaired",
    "Invisible characters repaired in a name",
    "Repaired {count:,} {header} cell(s) holding invisible characters ({rows}): with "
    "{repair}, each names an existing {what}.",
    "warning",
)

# --- whole files and batches ----------------------------------------------------------------

FILE_MISSING = ErrorType("file_missing", "File missing", "The file {name} does not exist.", "file")
FILE_UNREADABLE = ErrorType(
    "file_unreadable", "File cannot be read", "The file {name} cannot be read: {reason}.", "file"
)
FILE_EMPTY = ErrorType("file_empty", "Empty file", "{file} is empty.", "file")
FILE_TYPE_MISMATCH = ErrorType(
    "file_type_mismatch",
    "File Type does not match the file",
    "File Type is {declared} but {name} is {actual}; choose {choice} as the File Type.",
    "file",
)
NOT_TEXT = ErrorType("not_text", "Not a text file", "{name} is not a text (CSV) file.", "file")
NOT_DECODABLE = ErrorType(
    "not_decodable", "Unreadable text", "{name} is not readable as {encoding} text.", "file"
)
NO_HEADER = ErrorType(
    "no_header",
    "No header row",
    "The first line of {name} is empty; it must hold the column headers.",
    "file",
)
HEADER_TOO_LONG = ErrorType(
    "header_too_long",
    "Header row too long",
    "The first line of {name} is longer than {limit:,} characters, more than any header row "
    "needs; check that it is the file you meant to upload.",
    "file",
)
TOO_MANY_COLUMNS = ErrorType(
    "too_many_columns",
    "Too many columns",
    "{file} has {columns} columns; a file may have at most {limit:,}: keep the columns of the "
    "template and remove the others.",
    "file",
)
UNQUOTED_DELIMITER = ErrorType(
    "unquoted_delimiter",
    "Unreadable CSV row",
    "{name} could not be read: {detail}; a value containing the delimiter must be in double "
    "quotes.",
    "file",
)
INVALID_CSV = ErrorType(
    "invalid_csv", "Unreadable CSV", "{name} is not a valid CSV file: {detail}", "file"
)
DAMAGED_ARCHIVE = ErrorType(
    "damaged_archive",
    "Damaged workbook",
    "{name} is damaged: it is a zip archive, as a workbook is, but its contents cannot be "
    "read; open it in Excel or LibreOffice and save it again.",
    "file",
)
DAMAGED_WORKBOOK = ErrorType(
    "damaged_workbook",
    "Unreadable workbook",
    "{name} could not be read as {what}: it is damaged, or saved in a way bulkpoc cannot read; "
    "open it and save it again as Excel Workbook (.xlsx) or CSV.",
    "file",
)
UNSUPPORTED_FORMAT = ErrorType(
    "unsupported_format",
    "A kind of file bulkpoc cannot read",
    "{name} is {what}, which bulkpoc cannot read; {advice}.",
    "file",
)
TOO_LARGE = ErrorType(
    "too_large",
    "Too large",
    "{name} expands to more data than an upload may hold; it was not read.",
    "file",
)
NO_WORKSHEETS = ErrorType("no_worksheets", "No worksheets", "{name} has no worksheets.", "file")
EMPTY_WORKSHEET = ErrorType(
    "empty_worksheet", "Empty worksheet", "The worksheet '{sheet}' in {name} is empty.", "file"
)
DUPLICATE_COLUMN = ErrorType(
    "duplicate_column",
    "Column twice in the header",
    "The column '{header}' appears more than once in the header.",
    "file",
)
NO_KNOWN_COLUMNS = ErrorType(
    "no_known_columns",
    "Not a file of this record type",
    "None of the columns are {plural} columns; the header row must name {headers}.",
    "file",
)
MISSING_COLUMNS = ErrorType(
    "missing_columns",
    "Required columns missing",
    "The file is missing the required column{s} {headers}.{detail}",
    "file",
    defaults={"detail": ""},
)
MAPPING_MISFIT = ErrorType(
    "mapping_misfit",
    "File does not fit its mapping",
    "The file does not fit its mapping: it has no column{s} {columns}.",
    "file",
)
NO_ROW_CHANGED_COLUMN = ErrorType(
    "no_row_changed_column",
    "No Row Changed column",
    "Rows to Include is Changed Rows Only, but the file has no 'Row Changed' column; mark "
    "edited rows with Y in a Row Changed column, or choose All Rows.",
    "file",
)
UPLOAD_NOT_PERMITTED = ErrorType(
    "upload_not_permitted",
    "Permission needed to upload",
    "{user} cannot upload {plural}: it needs the '{permission}' permission.",
    "file",
)
DOWNLOAD_NOT_PERMITTED = ErrorType(
    "download_not_permitted",
    "Permission needed to download",
    "{user} cannot download the {plural} template or export: it needs the '{permission}' "
    "permission.",
    "file",
)
ALL_OR_NOTHING = ErrorType(
    "all_or_nothing",
    "A row failed and All or nothing was chosen",
    "{failed} row(s) failed, so nothing was applied (All or nothing was chosen); fix them and "
    "upload the file again.",
    "file",
)
TOO_MANY_FAILED = ErrorType(
    "too_many_failed",
    "Too many rows failed",
    "Nothing was applied: {failed} of {total} rows failed ({share}), above {whose} limit of "
    "{limit}.",
    "file",
)
STORE_BUSY = ErrorType(
    "store_busy",
    "Store busy",
    "{holder} kept the store busy for more than {seconds:g} seconds, so nothing was applied; "
    "upload the file again when it has finished (or raise BULKPOC_LOCK_TIMEOUT).",
    "file",
)
UNKNOWN_USER = ErrorType(
    "unknown_user",
    "Unknown user",
    "There is no user named {name!r}; add one with `bulkpoc users add`.",
    "file",
)
STORE_REFUSED = ErrorType(
    "store_refused",
    "Store refused the batch",
    "The store refused to apply this batch ({detail}), so nothing was applied.",
    "file",
)
BATCH_INTERRUPTED = ErrorType(
    "batch_interrupted",
    "Batch interrupted",
    "The process running this batch ({worker}) stopped before it finished, so nothing was "
    "applied; run it again with `bulkpoc rerun {batch_id}`.",
    "file",
)
DUPLICATE_FILE = ErrorType(
    "duplicate_file",
    "Same file already received",
    "The inbox already received this content in batch {first}, so it was not processed again.",
    "file",
)

NOTHING_TO_UNDO = ErrorType(
    "nothing_to_undo",
    "Nothing to undo",
    "Batch {batch} {reason}, so there is nothing to undo.",
    "file",
)
ALREADY_UNDONE = ErrorType(
    "already_undone",
    "Already undone",
    "Batch {batch} was already undone by batch {by}; a batch is undone once (undo batch {by} "
    "to apply it again).",
    "file",
)
UNDO_UNAVAILABLE = ErrorType(
    "undo_unavailable",
    "Can no longer be undone",
    "Batch {batch} can no longer be undone: {reason}.",
    "file",
)
# Applying a dry run (``bulkpoc apply``): the plan it showed, or nothing.
PREVIEW_CHANGED = ErrorType(
    "preview_changed",
    "The plan differs from the dry run",
    "Nothing was applied: {count} row(s) would now do something other than dry run batch "
    "{preview} showed ({rows}); batch {new_preview} previews the file again.",
    "file",
)
NOT_A_DRY_RUN = ErrorType(
    "not_a_dry_run",
    "Not a dry run",
    "Batch {batch_id} is not a dry run, so there is nothing to apply: only a dry run's file "
    "can be applied.",
    "file",
)
DRY_RUN_NOT_FINISHED = ErrorType(
    "dry_run_not_finished",
    "Dry run not finished",
    "Batch {batch_id} is {status}: a dry run can be applied once it has finished.",
    "file",
)
DRY_RUN_FAILED = ErrorType(
    "dry_run_failed",
    "Dry run failed",
    "Batch {batch_id} failed, so it has no plan to apply; upload a corrected file.",
    "file",
)
ALREADY_APPLIED = ErrorType(
    "already_applied",
    "Dry run already applied",
    "Batch {batch_id} was already applied, as batch {applied_as}; a dry run is applied once.",
    "file",
)
DRY_RUN_PRUNED = ErrorType(
    "dry_run_pruned",
    "Dry run's plan no longer kept",
    "The plan of batch {batch_id} was removed by retention, so there is nothing to compare "
    "with; upload the file again as a new dry run.",
    "file",
)
DRY_RUN_FILE_GONE = ErrorType(
    "dry_run_file_gone",
    "Dry run's file no longer kept",
    "The file of batch {batch_id} is no longer kept, so it cannot be applied; upload it again.",
    "file",
)

INTERNAL_ERROR = ErrorType(
    "internal_error",
    "Internal error",
    "Internal error: the batch stopped and nothing was applied.",
    "file",
)

CATALOGUE: dict[str, ErrorType] = _types(
    *(value for value in dict(globals()).values() if isinstance(value, ErrorType))
)
