"""The bodies the JSON API answers with: the batch result (``BatchResult`` with the API's own
links instead of the server's paths), its history and its problems."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import UploadFile
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema

from bulkpoc.domain.limits import PATTERN, normalised
from bulkpoc.domain.options import FileType, ImportOptions, RecordTypeName, RowsMode
from bulkpoc.domain.result import BatchResult, Counts, Reports, UtcDateTime
from bulkpoc.domain.status import BatchStatus
from bulkpoc.domain.users import User


def _true_or_false(value: Any) -> Any:
    """A form carries a boolean as the text true or false; nothing else is taken for one."""
    if isinstance(value, str):
        if value.strip().lower() not in {"true", "false"}:
            raise ValueError("it must be true or false")
        return value.strip().lower() == "true"
    return value


FormBool = Annotated[bool, BeforeValidator(_true_or_false)]
# A saved mapping's name: it is part of the mappings' URLs, so it has no slash.
MappingName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^/]+$")]


def _failure_limit(value: str | None) -> str | None:
    """The limit as the options keep it ("10" or "5%"); blank: no limit."""
    try:
        return normalised(value)
    except ValueError as error:
        raise ValueError(str(error).rstrip(".")) from None  # the problem's sentence ends it


# The pattern is the schema's only: a value outside it gets _failure_limit's sentence.
FailureLimitText = Annotated[
    Annotated[str, WithJsonSchema({"type": "string", "pattern": PATTERN})] | SkipJsonSchema[None],
    AfterValidator(_failure_limit),
]


class UploadForm(BaseModel):
    """A file to process, with the options of the upload form."""

    file: UploadFile = Field(
        description="The CSV or XLSX file; its name is only shown.",
        json_schema_extra={"format": "binary"},  # any bytes: OpenAPI 3.0's word for a file
    )
    record_type: RecordTypeName = Field("poc", description="What the file holds.")
    # A form cannot send null: leave the field out to have the type detected.
    file_type: FileType | SkipJsonSchema[None] = Field(
        None,
        description="The declared File Type, xlsx for any spreadsheet (.xlsx, .xlsm, .xlsb, "
        ".xls, .ods); it must match the content (default: detected).",
    )
    rows: RowsMode = Field(
        "all", description="Rows to Include: all, or only the rows marked in Row Changed."
    )
    dry_run: FormBool = Field(False, description="Check and report what would happen; no change.")
    all_or_nothing: FormBool = Field(False, description="Apply nothing if any row fails.")
    max_failed: FailureLimitText = Field(
        None,
        description="Stop when too much fails: apply nothing when more rows fail than this, a "
        "number of rows (`10`) or a percentage of the file's rows (`5%`); the batch is then "
        "Failed and its `failure` says why (default: no limit).",
        examples=["5%"],
    )
    overwrite: FormBool = Field(
        False,
        description="Apply rows even if the record changed since the file's Last Modified "
        "(as `bulkpoc import --overwrite`); otherwise such a row fails as a conflict.",
    )
    email_results: FormBool = Field(
        False,
        description="Email the results (with the error file when rows fail) to the token's "
        "user, at the email address the store holds for them.",
    )
    mapping: MappingName | SkipJsonSchema[None] = Field(
        None,
        description="A saved column mapping's name (`GET /api/v1/mappings`): the file has a "
        "partner's own headers and spellings, read through it as this record type. Errors and "
        "the error file keep the file's own headers.",
    )

    def options(self, user: User, file_name: str | None, upload_id: str | None) -> ImportOptions:
        """The batch's options: this form's, acting as ``user``."""
        return ImportOptions(
            record_type=self.record_type,
            file_type=self.file_type,
            rows=self.rows,
            dry_run=self.dry_run,
            all_or_nothing=self.all_or_nothing,
            max_failed=self.max_failed,
            overwrite=self.overwrite,
            user=user.name,
            notify=(user.email,) if self.email_results and user.email else (),
            source="api",
            display_name=file_name,
            upload_id=upload_id,
            mapping_name=self.mapping,
        )


class ReportLinks(Reports):
    """Where the API serves the batch's HTML report, error file, results email and changes
    file; null for
    what the batch has not (yet) produced. Never where the server keeps them."""

    html: str | None = Field(None, examples=["/api/v1/batches/12/report.html"])
    error_file: str | None = Field(None, examples=["/api/v1/batches/12/errors"])
    email: str | None = Field(None, examples=["/api/v1/batches/12/email.eml"])
    changes: str | None = Field(None, examples=["/api/v1/batches/12/changes.csv"])


class ApiBatchResult(BatchResult):
    """A batch's result, as ``bulkpoc import --json`` prints it, with its files as links."""

    reports: ReportLinks


class Problem(BaseModel):
    """Why a request failed, in one sentence."""

    detail: str = Field(examples=["There is no batch 12."])


class BatchSummary(BaseModel):
    """One batch of the run history."""

    batch_id: int
    record_type: str
    file_name: str
    source: str = Field(description="cli, web, api, schedule or undo.")
    user: str
    status: BatchStatus
    submitted_at: UtcDateTime
    started_at: UtcDateTime | None = Field(description="Null while queued.")
    finished_at: UtcDateTime | None = Field(description="Null until finished.")
    counts: Counts
    failure: str | None = Field(description="Why a Failed batch failed, in one sentence.")

    @classmethod
    def of(cls, batch: dict[str, Any]) -> BatchSummary:
        return cls(
            batch_id=batch["id"],
            record_type=batch["record_type"],
            file_name=batch["file_name"],
            source=batch["source"],
            user=batch["user_name"],
            status=BatchStatus(batch["status"]),
            submitted_at=batch["submitted_at"],
            started_at=batch["started_at"],
            finished_at=batch["finished_at"],
            counts=Counts(**{name: batch[name] for name in Counts.model_fields}),
            failure=batch["failure"],
        )


class BatchList(BaseModel):
    """A page of the run history, newest first, and how many batches match in all."""

    total: int
    limit: int
    offset: int
    batches: list[BatchSummary]


# --- fixing a batch's failed rows (POST /api/v1/batches/{id}/fixes) -----------------------------

MAX_FIXES = 100_000  # cells, or groups, one request may fix
FixText = Annotated[str, Field(max_length=10_000)]
FixColumn = Annotated[str, Field(min_length=1, max_length=200)]


class CellFixBody(BaseModel):
    """Set one cell of one failed row."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(
        ge=2,
        le=2_147_483_647,
        description="The failed row, numbered as in the batch's results (the original file's "
        "row; the header is row 1).",
        examples=[7],
    )
    column: FixColumn = Field(
        description="The column, as the batch's error records name it (case and spacing "
        "do not matter).",
        examples=["Skill"],
    )
    value: FixText = Field(description="The cell's new value.", examples=["Sales Calls"])


class GroupFixBody(BaseModel):
    """Replace one value of one column in every failed row that has it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    column: FixColumn = Field(description="The column, as the error records name it.")
    from_: FixText = Field(
        alias="from",
        description="The value to replace (compared trimmed), e.g. an error record's value.",
        examples=["Sales Cals"],
    )
    to: FixText = Field(description="The value to put instead.", examples=["Sales Calls"])


class FixRequest(BaseModel):
    """The fixes to make to a batch's failed rows before they run again as a new batch.
    Every failed row runs again, fixed or not; cell fixes win over replacements."""

    model_config = ConfigDict(extra="forbid")

    cells: list[CellFixBody] = Field(
        default_factory=list, max_length=MAX_FIXES, description="Cells to set."
    )
    replace: list[GroupFixBody] = Field(
        default_factory=list,
        max_length=MAX_FIXES,
        description="Values to replace in every failed row of a column.",
    )
    dry_run: bool | SkipJsonSchema[None] = Field(
        None,
        description="Report what the fix would do and apply nothing (default: as the batch "
        "it fixes).",
    )
