"""The ``bulkpoc`` command: a thin layer that parses options and calls the library.

One module per group of commands; importing them registers their commands on ``cli``.
"""

from bulkpoc.batch.garbage import collect_less_often
from bulkpoc.cli import (
    admin,
    apply,
    batches,
    changes,
    edits,
    files,
    fixes,
    mappings,
    outbox,
    schedules,
    tokens,
    undo,
    web,
    workers,
)
from bulkpoc.cli.app import cli

__all__ = [
    "admin",
    "apply",
    "batches",
    "changes",
    "cli",
    "edits",
    "files",
    "fixes",
    "main",
    "mappings",
    "outbox",
    "schedules",
    "tokens",
    "undo",
    "web",
    "workers",
]


def main() -> None:
    collect_less_often()  # before the imports each command makes
    cli(prog_name="bulkpoc")
