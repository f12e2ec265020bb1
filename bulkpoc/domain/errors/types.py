"""Errors are data: row problems are ``RowError`` records; exceptions only stop a whole batch.

``BulkpocError`` and its subclasses carry one sentence a user understands; the CLI and the web
UI show that sentence and nothing else. Anything else that escapes is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass

from bulkpoc.domain.errors.codes import ErrorType


class BulkpocError(Exception):
    """A problem the user can act on; ``str(error)`` is the whole message.

    Raised with an ``ErrorType`` from the catalogue and its parameters, the error carries that
    type's stable ``code``; raised with plain text (a usage problem outside any batch), the
    class's own code.
    """

    code = "error"

    def __init__(self, message: str | ErrorType, /, **params: object) -> None:
        if isinstance(message, ErrorType):
            self.code = message.code
            message = message.message(**params)
        super().__init__(message)


class FileRejected(BulkpocError):
    """The file cannot be processed at all: unreadable, wrong type, missing columns."""


class MappingInvalid(BulkpocError):
    """A column mapping that cannot be used: bad TOML, an unknown section or column, no such
    saved mapping."""

    code = "mapping_invalid"


class UnknownMapping(MappingInvalid):
    """No column mapping is saved under the given name."""

    code = "unknown_mapping"


class PermissionDenied(BulkpocError):
    """The user may not submit this kind of file."""


class StoreNotReady(BulkpocError):
    """The store does not exist or has not been initialised."""

    code = "store_not_ready"


class UnknownUser(BulkpocError):
    """The named user does not exist in the store."""


class UnknownPermission(BulkpocError):
    """A permission name that bulkpoc does not know."""

    code = "unknown_permission"


class NothingApplied(BulkpocError):
    """All or nothing was chosen and a row failed, or more rows failed than the chosen limit."""


class PreviewChanged(NothingApplied):
    """The store changed since the dry run that a batch applies: its plan differs."""


class ApplyRefused(BulkpocError):
    """A dry run that cannot be applied (not a dry run, not finished, failed, already applied)."""


class StoreBusy(BulkpocError):
    """Another batch held the store for longer than this batch was allowed to wait."""


class QueueUnavailable(StoreBusy):
    """The job queue (in the store) did not take a new batch, so the batch was not recorded
    either: like a busy store, sending the file again is the remedy."""


class SettingsError(BulkpocError):
    """A setting (environment variable or bulkpoc.toml) has a value bulkpoc cannot use."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one cell (or one row when ``column`` is empty).

    ``row`` is the spreadsheet row number: the header is row 1, the first data row is 2.
    """

    row: int
    column: str
    value: str
    code: str
    message: str
