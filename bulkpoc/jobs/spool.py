"""Uploads waiting on disk for SQLite's one writer.

Under ``bulkpoc serve`` on SQLite a batch holds the store's write lock from its snapshot to
its commit, so an upload that arrives meanwhile cannot even be recorded. Rather than keep the
browser waiting for the lock (or refuse the file), the server writes the upload here and the
batch runner records it as soon as the store is free. A spooled upload survives a restart: the
runner takes what it finds when it starts.

Each upload is two files named by its upload id: ``KEY.upload`` (the bytes) and ``KEY.json``
(the options). The options are written last, by a rename, so an upload is complete once it
has them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from bulkpoc.domain.options import ImportOptions
from bulkpoc.store.db import Store

KEY = re.compile(r"[A-Za-z0-9_-]{1,100}")


class Spool:
    """A folder of uploads waiting to be recorded as batches, oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def beside(cls, store: Store) -> Spool:
        """The spool next to a SQLite store's database file (``bulkpoc.db-uploads/``)."""
        database = store.engine.url.database
        if not database or database == ":memory:":
            return cls(Path(tempfile.mkdtemp(prefix="bulkpoc-uploads-")))
        path = Path(database)
        return cls(path.with_name(path.name + "-uploads"))

    def put(self, key: str, stream: BinaryIO, options: ImportOptions) -> None:
        """Keep the upload's bytes and options under ``key`` (a safe name: see ``KEY``)."""
        if not KEY.fullmatch(key):
            raise ValueError(f"not a spool key: {key!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        stream.seek(0)
        self._write_atomically(self.content(key), lambda out: shutil.copyfileobj(stream, out))
        recorded = json.dumps(options.recorded()).encode()
        self._write_atomically(self._options_path(key), lambda out: out.write(recorded))

    def waiting(self) -> list[str]:
        """The keys of the complete uploads here, oldest first."""
        if not self.folder.is_dir():
            return []
        found = [(path.stat().st_mtime, path.stem) for path in self.folder.glob("*.json")]
        return [key for _mtime, key in sorted(found) if self.content(key).exists()]

    def options(self, key: str) -> ImportOptions | None:
        """The upload's options, or None once it has been taken (or was never here)."""
        if not KEY.fullmatch(key):
            return None
        try:
            kept = json.loads(self._options_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return ImportOptions.from_recorded(kept)

    def content(self, key: str) -> Path:
        return self.folder / f"{key}.upload"

    def remove(self, key: str) -> None:
        """Forget the upload: its batch is recorded, with its bytes, in the store."""
        self._options_path(key).unlink(missing_ok=True)
        self.content(key).unlink(missing_ok=True)

    def _options_path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def _write_atomically(self, target: Path, write: Callable[[BinaryIO], object]) -> None:
        """Write a new file whose name never looks like an upload's, then rename it."""
        descriptor, name = tempfile.mkstemp(dir=self.folder, suffix=".partial")
        try:
            with os.fdopen(descriptor, "wb") as out:
                write(out)
            os.replace(name, target)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
