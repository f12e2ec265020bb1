"""What the user chose for one upload."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from bulkpoc.domain.limits import FailureLimit

FileType = Literal["csv", "xlsx"]
RowsMode = Literal["all", "changed"]
# The record types a file can hold, in the order they are offered: the names of
# bulkpoc.domain.records.RECORD_TYPES (a test keeps them equal), here so the CLI and the API can
# list them without loading the records and pandas.
RecordTypeName = Literal["poc", "skill", "script", "chat-profile", "number"]


@dataclass(frozen=True)
class ImportOptions:
    """What the user chose for one upload."""

    record_type: str = "poc"
    file_type: FileType | None = None  # None: detect from the content
    rows: RowsMode = "all"
    dry_run: bool = False
    all_or_nothing: bool = False
    overwrite: bool = False
    user: str = "admin"
    notify: tuple[str, ...] = ()
    source: str = "cli"
    report_dir: Path | None = None
    display_name: str | None = None  # the name the user knows the file by (web uploads)
    # The client's own key for this upload: the same key from the same user within ten minutes
    # gives back the batch the first upload became instead of a second one (web and API).
    upload_id: str | None = None
    # An undo: the batch it takes back (its rows come from that batch's change records, not a
    # file). ``overwrite`` is its Force: fields changed since that batch are set back anyway.
    reverts: int | None = None
    # Applying a dry run (``bulkpoc apply``): the dry-run batch whose plan this batch applies,
    # and the spreadsheet rows the reviewer left out (reported as skipped).
    preview_of: int | None = None
    exclude_rows: tuple[int, ...] = ()
    # Stop when too much fails: the most failed rows (``10``) or share of rows (``5%``) a
    # batch may have and still apply; above it nothing is applied (``domain.limits``).
    max_failed: str | None = None
    # A scheduled file held for approval: it runs as a dry run, and waits for a person to
    # apply it from its page.
    hold_for_approval: bool = False
    # A partner's file read through a column mapping (domain.mapping): the mapping's TOML
    # itself, resolved when the batch is submitted, so re-running, applying or fixing the batch
    # reads the file exactly as it first ran; and the name it was saved under (or its file's
    # name). A name without content: the saved mapping was not found, and the batch fails.
    mapping: str | None = None
    mapping_name: str | None = None
    # A fix (``batch.fixes``): the batch whose failed rows this batch runs again, and the
    # original file's row number of each of its rows, so its results name the rows as the
    # person's own file does (a fix of a fix keeps the first file's numbers).
    fixes: int | None = None
    fix_rows: tuple[int, ...] = ()

    @property
    def failure_limit(self) -> FailureLimit | None:
        return FailureLimit.parse(self.max_failed) if self.max_failed else None

    def recorded(self) -> dict[str, object]:
        """The options as kept in the run history."""
        kept = asdict(self)
        kept["notify"] = list(self.notify)
        kept["exclude_rows"] = list(self.exclude_rows)
        kept["fix_rows"] = list(self.fix_rows)
        kept["report_dir"] = str(self.report_dir) if self.report_dir else None
        return kept

    @classmethod
    def from_recorded(cls, kept: dict[str, Any]) -> ImportOptions:
        """The options back from the run history, for the process that runs the batch."""
        names = {field.name for field in dataclasses.fields(cls)}
        values = {key: value for key, value in kept.items() if key in names}
        values["notify"] = tuple(values.get("notify") or ())
        values["exclude_rows"] = tuple(values.get("exclude_rows") or ())
        values["fix_rows"] = tuple(values.get("fix_rows") or ())
        values["report_dir"] = Path(values["report_dir"]) if values.get("report_dir") else None
        return cls(**values)


DEFAULT_OPTIONS = ImportOptions()
