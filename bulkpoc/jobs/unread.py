"""An inbox file that changed after its batch read it: the rows it did not read are kept.

A program may pause longer than the inbox's settle time and then go on writing, through the
handle it holds, into the file a pass has claimed (or already filed: a rename keeps the
file). Its batch has only the rows read before. Once the file is seen changed, it is put back
to exactly the bytes the batch read, what was added goes into the inbox as a file of its own
for the next pass, and the batch's warnings say so. Nothing is dropped or filed unannounced.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bulkpoc.store.db import Store

# Text formats, where a writer appends rows: what follows the bytes read is rows of their own.
APPENDABLE = (".csv", ".tsv")


def keep_unread(store: Store, batch: dict, path: Path) -> str | None:
    """If ``path`` no longer holds the bytes ``batch`` read, keep the rest for the next pass
    and record why on the batch; the warning, or None when the file is as it was read."""
    if not batch["checksum"]:
        return None  # the batch read nothing to compare with
    try:
        now = path.read_bytes()
    except OSError:
        return None  # gone or unreadable: nothing more to keep
    if hashlib.sha256(now).hexdigest() == batch["checksum"]:
        return None  # as it was read: the stored bytes need not be fetched to say so
    read = store.file_content(batch["checksum"])
    if read is None:
        return None
    name = batch["file_name"]
    stem, suffix = Path(name).stem, Path(name).suffix
    inbox = path.parent.parent
    if now.startswith(read) and suffix.lower() in APPENDABLE:
        # A row read only in part is kept whole for the next pass.
        cut = len(read) if read.endswith(b"\n") else read.rfind(b"\n") + 1
        header = read[: read.find(b"\n") + 1]
        rest = _place(inbox, f"{stem}-rest-of-batch-{batch['id']}{suffix}", header + now[cut:])
        warning = (
            f"The file {name} changed after it was read: this batch has the "
            f"{_lines(read[:cut]) - 1} rows read first; the {_lines(now[cut:])} rows written "
            f"after are in the inbox as {rest} for the next pass."
        )
    else:
        rest = _place(inbox, f"{stem}-changed-after-batch-{batch['id']}{suffix}", now)
        warning = (
            f"The file {name} changed after it was read, not only by rows added at its end: "
            f"this batch has the content read first; the changed file is in the inbox as {rest} "
            "for the next pass, whole (with what this batch read)."
        )
    _write(path, read)
    store.update_batch(batch["id"], warnings=[*(batch["warnings"] or []), warning])
    return warning


def _lines(content: bytes) -> int:
    return sum(1 for line in content.splitlines() if line.strip())


def _place(inbox: Path, name: str, content: bytes) -> str:
    """Write ``content`` into the inbox as ``name`` (or ``name-2``…), whole at once; its name."""
    target = free_name(inbox, name)
    _write(target, content)
    return target.name


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``… when taken: a file is never overwritten.

    Only the process that ran a batch files its file or keeps its rest, and the batch id makes
    the name its own, so there is no race to guard against here.
    """
    folder.mkdir(exist_ok=True)
    target, number = folder / name, 1
    while target.exists():
        number += 1
        target = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
    return target


def _write(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` by a rename, so no pass sees it half written."""
    temporary = path.with_name(f".{path.name}.tmp")  # a name the inbox passes leave alone
    temporary.write_bytes(content)
    os.replace(temporary, path)
