"""A single record's form, driven by its record type's columns: which inputs it shows, what
each offers to choose from, the values it holds and the messages beside each.

A point of contact's form depends on its media type (chosen first, so the page needs no
JavaScript): the numbers of the inventory that are capable and free for Phone Call and SMS,
an address for Email, nothing to type for Chat and Work Item (the system assigns one); the
active skills and the scripts of that media type; the chat profile only for Chat and IVR
reporting only for Phone Call. The other record types show each of their columns.

Values are the text a file's cell would hold (Y/N, a referenced record's name), keyed by the
field's API name (``point_of_contact``), which is also the form field's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bulkpoc.domain.parsers import MEDIA_TYPES, PHONE_MEDIA, SYSTEM_ADDRESS_MEDIA
from bulkpoc.domain.records.base import Field, RecordType
from bulkpoc.domain.result import BatchResult
from bulkpoc.store.choices import FreeNumbers, Reference, free_numbers, references
from bulkpoc.store.db import Store
from bulkpoc.store.listing import Record, field_names

Input = Literal["text", "email", "select", "fixed", "assigned", "numbers"]
YES_NO = (("N", "No"), ("Y", "Yes"))
# A point of contact's fields that only some media types have.
ONLY_FOR = {"ivr_reporting_enabled": ("Phone Call",), "chat_profile": ("Chat",)}
# Set by their own buttons on the record's page (Activate / Deactivate), not by the form.
NOT_IN_FORM = ("active",)


@dataclass
class FormField:
    """One input of the form: the field's API name (the input's name), its column header
    (the label), what kind of input, its value and choices, and the messages beside it."""

    name: str
    label: str
    input: Input
    value: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)  # value, label
    required: bool = False
    hint: str = ""
    errors: list[str] = field(default_factory=list)
    numbers: FreeNumbers | None = None

    @property
    def id(self) -> str:
        return f"field-{self.name.replace('_', '-')}"


@dataclass
class RecordForm:
    """The whole form: its fields, and the messages that belong to no field of it."""

    fields: list[FormField]
    other_errors: list[str] = field(default_factory=list)

    def by_name(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


def form_names(rtype: RecordType) -> dict[str, Field]:
    """The fields a form of ``rtype`` may send, by API name (the key excluded when the store
    assigns it, and Active, which has its own buttons)."""
    names = field_names(rtype)
    return {
        name: f
        for name, f in names.items()
        if not (f.kind == "id" or (name in NOT_IN_FORM and rtype.name in ("poc", "skill")))
    }


def record_values(rtype: RecordType, record: Record) -> dict[str, str]:
    """A stored record as the text of the form's inputs."""
    values = {}
    for name, f in field_names(rtype).items():
        value = record.get(name)
        if f.kind == "yes_no":
            values[name] = "Y" if value else "N"
        else:
            values[name] = "" if value is None else str(value)
    return values


def posted_values(rtype: RecordType, form: Mapping[str, object]) -> dict[str, str]:
    """The text of the form's inputs that ``rtype`` has, trimmed."""
    return {
        name: str(form.get(name, "")).strip()
        for name in form_names(rtype)
        if isinstance(form.get(name), str)
    }


def build_form(
    store: Store,
    rtype: RecordType,
    values: Mapping[str, str],
    editing: Record | None = None,
    number_search: str = "",
) -> RecordForm:
    """The form of ``rtype`` holding ``values``; ``editing``: the stored record it changes."""
    media = values.get("media_type", "")
    fields = []
    for name, f in form_names(rtype).items():
        if rtype.name == "poc" and name in ONLY_FOR and media not in ONLY_FOR[name]:
            continue
        fields.append(_input(store, rtype, name, f, values, editing, number_search))
    return RecordForm(fields)


def _input(
    store: Store,
    rtype: RecordType,
    name: str,
    f: Field,
    values: Mapping[str, str],
    editing: Record | None,
    number_search: str,
) -> FormField:
    value = values.get(name, "")
    entry = FormField(name, f.header, "text", value, required=f.required)
    if (f.fixed or f.kind == "phone") and editing is not None:
        entry.input, entry.hint = "fixed", f"The {f.header.lower()} cannot change."
    elif f.kind == "media_type" and rtype.name == "poc":
        entry.input = "fixed"  # chosen first: the form's fields depend on it
    elif f.kind == "media_type":
        entry.input, entry.choices = "select", [(m, m) for m in MEDIA_TYPES]
    elif f.kind == "yes_no":
        entry.input, entry.choices = "select", list(YES_NO)
        entry.value = value or ("Y" if f.default else "N")
    elif f.kind == "ref":
        entry.input = "select"
        entry.choices = _reference_choices(store, f, values.get("media_type") or None, value)
        if not f.required:
            entry.choices.insert(0, ("", "(none)"))
    elif f.kind == "address":
        _address(store, entry, values.get("media_type", ""), editing, number_search)
    elif f.kind == "phone":
        entry.hint = "Any format; kept in +E.164 form, e.g. +12025550100."
    return entry


def _reference_choices(
    store: Store, f: Field, media_type: str | None, current: str
) -> list[tuple[str, str]]:
    """Skills (active ones: only those can be assigned), scripts and chat profiles, of the
    media type when the type has one; the current value stays offered, marked inactive."""
    ref = f.ref or ""
    active = True if ref == "skill" else None
    found: list[Reference] = references(store.engine, ref, media_type, active)
    choices = [(r.name, r.name) for r in found]
    if current and current not in {r.name for r in found}:
        choices.insert(0, (current, f"{current} (inactive)" if ref == "skill" else current))
    return choices


def _address(
    store: Store, entry: FormField, media: str, editing: Record | None, search: str
) -> None:
    if media in SYSTEM_ADDRESS_MEDIA:
        entry.input, entry.required = "assigned", False
        entry.hint = (
            "Assigned by the system; it cannot change."
            if editing
            else "Assigned by the system when you save."
        )
    elif media in PHONE_MEDIA:
        entry.input, entry.required = "numbers", True
        entry.numbers = free_numbers(store.engine, media, search)
        entry.choices = [(n, n) for n in entry.numbers.shown]
        if entry.value and entry.value not in entry.numbers.shown:
            entry.choices.insert(0, (entry.value, entry.value))
        capable = "voice" if media == "Phone Call" else "SMS"
        entry.hint = f"The inventory's {capable}-capable numbers no {media} point of contact uses."
    else:
        entry.input, entry.required = "email", True


def place_errors(form: RecordForm, result: BatchResult) -> None:
    """Each of the batch's messages beside the input of its column; the others above."""
    by_header = {f.label: f for f in form.fields}
    for error in result.errors:
        target = by_header.get(error.column)
        if target is not None:
            target.errors.append(error.message)
        else:
            form.other_errors.append(
                f"{error.column}: {error.message}" if error.column else error.message
            )
    if result.failure and not result.errors:  # with row errors, it only says none applied
        form.other_errors.append(result.failure)
