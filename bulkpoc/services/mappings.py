"""Column mappings as people use them: save one from its TOML, remove one, and resolve what an
upload names (a saved mapping, or a TOML file) into the options of its batch. One use case
each, for ``bulkpoc mappings``, ``bulkpoc import --mapping``, the API and the web upload."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bulkpoc.domain.errors.types import MappingInvalid
from bulkpoc.domain.mapping import ColumnMapping, SavedMapping
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.users import User
from bulkpoc.store.db import Store


def may_change(user: User, record_type: str) -> None:
    """Saving or removing a mapping of a record type needs the permission to upload it: a
    mapping decides how that type's files are read. ``PermissionDenied`` otherwise."""
    RECORD_TYPES[record_type].check_may_upload(user)


def save_mapping(
    store: Store, name: str, toml: str, record_type: str | None, user: User
) -> tuple[SavedMapping, bool]:
    """Keep the mapping ``toml`` describes under ``name`` (replacing one of that name), as
    ``user``; True when the name is new. Refused in one sentence if it is not a mapping, or
    if the user may not upload its record type (nor that of the mapping it replaces)."""
    mapping = ColumnMapping.from_toml(toml, record_type)
    may_change(user, mapping.record_type)
    replaced = store.find_mapping(name)
    if replaced is not None:
        may_change(user, replaced.record_type)
    return store.save_mapping(name, mapping, user.name, toml)


def remove_mapping(store: Store, name: str, user: User) -> None:
    """Forget the mapping ``name``, if ``user`` may upload its record type."""
    may_change(user, store.get_mapping(name).record_type)
    store.remove_mapping(name)


def read_mapping_file(path: Path, record_type: str) -> ColumnMapping:
    """The mapping a TOML file describes, for files of ``record_type``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise MappingInvalid(f"The mapping file {str(path)!r} cannot be read ({reason}).") from None
    return ColumnMapping.from_toml(text, record_type)


def with_mapping(store: Store, options: ImportOptions, spec: str | None) -> ImportOptions:
    """The upload's options reading its file through ``spec``: a TOML file (a path ending in
    ``.toml``, for the command line only) or a saved mapping's name."""
    if spec and spec.lower().endswith(".toml"):
        path = Path(spec).expanduser()
        return _reading(options, read_mapping_file(path, options.record_type), path.name)
    return with_saved_mapping(store, options, spec)


def with_saved_mapping(store: Store, options: ImportOptions, name: str | None) -> ImportOptions:
    """The upload's options reading its file through the mapping saved as ``name``
    (``UnknownMapping`` if there is none). The batch keeps the mapping's content, so it runs
    with exactly this mapping whatever happens to the saved one."""
    if not name:
        return options
    saved = store.get_mapping(name)
    return _reading(options, saved.mapping, saved.name)


def _reading(options: ImportOptions, mapping: ColumnMapping, name: str) -> ImportOptions:
    if mapping.record_type != options.record_type:
        raise MappingInvalid(
            f"The mapping {name!r} reads {mapping.record_type} files, not "
            f"{options.record_type} files."
        )
    return dataclasses.replace(options, mapping=mapping.to_toml(), mapping_name=name)
