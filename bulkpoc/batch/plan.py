"""Plan: decide what each valid row does to the store, and check what depends on the change.

Every row becomes create, update, unchanged (identical to the store: nothing written) or
failed. Conflicts (the record changed since the file was exported), permissions to change a
field, fields that cannot change, and uniqueness against the store are checked here.

A field's permission (SPEC §2: ``Skills Edit`` for a POC's skill, ``Points of Contact
Deactivate`` for its Active) governs changing an existing record, in either direction. A new
record's values are part of creating it, which the record type's own permission allows
(``Points of Contact Create``, checked before the file is read): a POC created inactive takes
no live entry point out of service, and the skill a new POC starts with re-routes no
contact, so neither needs the permission that guards changing them.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from bulkpoc.domain.actions import CREATE, FAILED, REMOVE, UNCHANGED, UPDATE
from bulkpoc.domain.errors.codes import (
    ALREADY_USED,
    CONFLICT,
    FIXED_ON_UPDATE,
    PERMISSION_DENIED,
    STILL_NEEDED,
)
from bulkpoc.domain.last_modified import at_precision_of, parse_last_modified
from bulkpoc.domain.records.base import LAST_MODIFIED, Sheet
from bulkpoc.domain.records.keys import UniqueKey
from bulkpoc.store.record_tables import unique_keys


def same(new: pd.Series, old: pd.Series) -> pd.Series:
    """Element-wise equality where two missing values are equal."""
    new, old = new.astype(object), old.astype(object)
    # Comparing object arrays calls a missing value unequal to anything, itself included.
    return (new == old) | (new.isna() & old.isna())


def plan(sheet: Sheet) -> Sheet:
    rtype = sheet.rtype
    changed = pd.DataFrame(False, index=sheet.index, columns=[f.name for f in rtype.fields])
    # Rows identical to the store cannot have changed: compare only the others.
    updating = sheet.is_update & sheet.to_check
    if updating.any():
        values, stored = sheet.values[updating], sheet.stored[updating]
        for field in rtype.fields:
            differs = ~same(values[field.name], stored[field.name])
            changed.loc[updating, field.name] = differs.to_numpy()
    sheet.changed = changed
    any_change = (
        changed.any(axis=1) if len(changed.columns) else pd.Series(False, index=sheet.index)
    )
    action = pd.Series(CREATE, index=sheet.index, dtype=object)
    action[sheet.is_update & any_change] = UPDATE
    action[sheet.is_update & ~any_change] = UNCHANGED
    if sheet.removing is not None:
        action[sheet.removing & sheet.is_update] = REMOVE
    sheet.action = action

    _check_fixed(sheet)
    _check_permissions(sheet)
    _check_removals(sheet)
    if rtype.has_last_modified and not sheet.overwrite:
        _check_conflicts(sheet)
    if rtype.check_changes:
        rtype.check_changes(sheet)
    _check_unique(sheet)
    sheet.action = sheet.action.where(~sheet.failed(), FAILED)
    return sheet


def _check_fixed(sheet: Sheet) -> None:
    for field in sheet.rtype.fields:
        if field.fixed:
            sheet.error(
                sheet.changed[field.name] & sheet.values[field.name].notna(),
                field.header,
                FIXED_ON_UPDATE,
                stored=sheet.stored[field.name],
                label=sheet.rtype.label.lower(),
            )


def _check_permissions(sheet: Sheet) -> None:
    """An update that changes a field needs the field's permission; a create needs none."""
    granted = sheet.user.permissions
    updating = sheet.action == UPDATE
    for field in sheet.rtype.fields:
        if field.permission and field.permission not in granted:
            sheet.error(
                updating & sheet.changed[field.name],
                field.header,
                PERMISSION_DENIED,
                permission=field.permission,
                user=sheet.user.name,
            )


# How a removal names what still refers to the record: (verb for one, for several, remedy).
_DEPENDENT_WAYS = {
    "skill": ("is assigned to", "are assigned to", "assign them to another skill"),
    "script": ("uses", "use", "give them another script"),
    "chat-profile": ("uses", "use", "give them another chat profile"),
    "number": ("uses", "use", "move them to another number"),
}


def _check_removals(sheet: Sheet) -> None:
    """An undo removes a record its batch created only if nothing refers to it now, and
    removing an active record takes it out of service: that needs the permission that
    deactivating it needs (``Points of Contact Deactivate`` for a POC)."""
    removing = sheet.action == REMOVE
    if not removing.any():
        return
    key = sheet.rtype.key
    keys = sheet.values.loc[removing, key.name]
    for field in sheet.rtype.fields:
        granted = field.permission in sheet.user.permissions
        if field.permission and field.kind == "yes_no" and not granted:
            # Read from the store: a row identical to it was never parsed.
            stored = keys.map(sheet.snapshot.records(pd.Index(keys.unique()))[field.name])
            sheet.error(
                pd.Series(sheet.index.isin(stored.index[stored.eq(True)]), index=sheet.index),
                field.header,
                PERMISSION_DENIED,
                permission=field.permission,
                user=sheet.user.name,
            )
    ways = _DEPENDENT_WAYS.get(sheet.rtype.name)
    if ways is None:
        return
    found = sheet.snapshot.dependents(pd.Index(keys.unique()))
    count, names = keys.map(found["count"]), keys.map(found["names"])
    needed = count.notna()
    if not needed.any():
        return
    count, names = count[needed].astype(int), names[needed]
    listed = names.map(lambda shown: ", ".join(f"'{name}'" for name in shown))
    more = (count - names.map(len)).map(lambda rest: f" and {rest:,} more" if rest else "")
    one = count == 1
    dependents = ("point of contact " + listed).where(
        one, count.map("{:,}".format) + " points of contact (" + listed + more + ")"
    )
    verb = pd.Series(ways[1], index=count.index).where(~one, ways[0])
    remedy = pd.Series(ways[2], index=count.index).where(~one, ways[2].replace("them", "it"))
    sheet.error(
        pd.Series(sheet.index.isin(count.index), index=sheet.index),
        key.header,
        STILL_NEEDED,
        dependents=dependents,
        verb=verb,
        remedy=remedy,
    )


def _check_conflicts(sheet: Sheet) -> None:
    cells = sheet.cells[LAST_MODIFIED]
    updating = (sheet.action == UPDATE) & (cells != "")
    if not updating.any():
        return
    parsed = parse_last_modified(cells[updating], LAST_MODIFIED)
    sheet.record(LAST_MODIFIED, parsed)
    row_time = parsed.values
    stored = pd.to_datetime(sheet.stored.loc[updating, "last_modified"])
    conflict = row_time.notna() & (at_precision_of(stored, row_time) > row_time)
    sheet.error(
        conflict,
        LAST_MODIFIED,
        CONFLICT,
        changed_at=lambda rows: stored[rows].dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def _check_unique(sheet: Sheet) -> None:
    """No row may take a unique key another record holds once the batch is applied.

    A stored record keeps its keys unless a row that will be applied changes them, so a row
    failing for any reason releases nothing, and its record may then clash with a row that
    counted on the release: every key is checked again until no row fails. The plan thus
    agrees with the database's unique constraints. (Two rows of the file claiming one key
    have already failed as duplicates.)
    """
    keys, existing = unique_keys(sheet.rtype), sheet.snapshot.existing
    applied = sheet.action.isin([CREATE, UPDATE]) & ~sheet.failed()
    if not keys or existing.empty or not applied.any():
        return
    rows = applied.index[applied.to_numpy()]
    values, stored, is_update = (
        sheet.values.loc[rows],
        sheet.stored.loc[rows],
        sheet.is_update[rows],
    )
    own = values[sheet.rtype.key.name].astype(object)
    new = {key: key.values(values) for key in keys}
    taking = {
        key: new[key].notna() & (~is_update | ~same(new[key], key.values(stored))) for key in keys
    }
    taking = {key: taken for key, taken in taking.items() if taken.any()}
    holder = {
        key: _holders(key, sheet.snapshot.unique_values(key, values[taken]))
        for key, taken in taking.items()
    }
    removing = sheet.action == REMOVE
    while True:
        still_applied = ~sheet.failed()[rows]
        # Records an undo removes give up their keys too.
        removed = sheet.values.loc[removing & ~sheet.failed(), sheet.rtype.key.name]
        clashes = []
        for key, taken in taking.items():
            takes = taken & still_applied
            released = own[takes & is_update]
            owner = new[key][takes].map(holder[key])
            owner = owner[owner.notna() & ~owner.isin(released) & ~owner.isin(removed)]
            if len(owner):
                clashes.append((key, owner))
        if not clashes:
            return
        for key, owner in clashes:
            sheet.error(
                pd.Series(sheet.index.isin(owner.index), index=sheet.index),
                key.header,
                ALREADY_USED,
                kind=sheet.rtype.label.lower(),
                holder=partial(_holder_names, sheet, owner),
                key_header=sheet.rtype.key.header,
                holder_key=owner,
            )


def _holders(key: UniqueKey, existing: pd.DataFrame) -> pd.Series:
    """The record key of each of these stored records, indexed by its value of ``key``."""
    values = key.values(existing)
    present = values.notna()
    return pd.Series(existing.index[present.to_numpy()], index=values[present].to_numpy())


def _holder_names(sheet: Sheet, owner: pd.Series, rows: pd.Index) -> pd.Series:
    """The name (or key) of the stored record that holds each clashing row's key."""
    holder = owner[rows]
    records = sheet.snapshot.records(pd.Index(holder.unique()))
    return holder.map(records["name"]) if "name" in records else holder
