"""bulkpoc: manage contact-centre points of contact in bulk.

The package tree is the architecture (README, How it works): ``domain`` declares the record
types and their rules; ``batch`` runs one batch through its stages (``read``, ``validate``,
``plan``, ``apply``) in one transaction; ``formats``, ``store`` and ``output`` are adapters;
``jobs``, ``schedules``, ``cli`` and ``web`` are the entry points over them.

The public names are loaded on first use, so that ``import bulkpoc`` (and so ``bulkpoc --help``)
does not pay for pandas, SQLAlchemy and pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bulkpoc.batch.submit import run_import
    from bulkpoc.domain.options import ImportOptions
    from bulkpoc.domain.result import BatchResult, Counts
    from bulkpoc.domain.status import BatchStatus

__version__ = "0.1.0"

_HOMES = {
    "BatchResult": "bulkpoc.domain.result",
    "BatchStatus": "bulkpoc.domain.status",
    "Counts": "bulkpoc.domain.result",
    "ImportOptions": "bulkpoc.domain.options",
    "run_import": "bulkpoc.batch.submit",
}

__all__ = ["BatchResult", "BatchStatus", "Counts", "ImportOptions", "__version__", "run_import"]


def __getattr__(name: str) -> Any:
    """``bulkpoc.run_import`` and the other public names, imported when first asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module 'bulkpoc' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
