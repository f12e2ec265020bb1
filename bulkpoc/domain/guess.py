"""Guessing how a partner's file maps to a record type: which file column holds each of ours,
and how the partner spells the values of a column (the mapping step's first answer).

Pure functions over the file's headers and a sample of its columns (lists of cell text): the
caller gives the store's names (skills, scripts, chat profiles) as ``Known``, so this module
never reads the store. Names are matched with rapidfuzz against our header and a few names
partners commonly use for it; values by what they look like (phone numbers, email addresses,
media types, Y/N, existing skill names). Each of our columns takes the best file column left,
best pairs first, so one file column is guessed for one of ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bulkpoc.domain.mapping import fold, fold_header
from bulkpoc.domain.parsers import MEDIA_TYPE_BY_ALIAS, MEDIA_TYPES, NO_WORDS, YES_WORDS
from bulkpoc.domain.records.base import ERROR_COLUMN, Field, RecordType

__all__ = ["Known", "guess_columns", "guess_spellings", "is_ours", "spelled_kind"]

GOOD_ENOUGH = 60  # a file column scoring less (0-100) for one of ours is not guessed for it
SPELLING_CUTOFF = 70  # how like one of our values a partner's spelling must be to be guessed
NAME_CUTOFF = 90  # likewise for a name of the store (a skill): only near-identical ones
# Names partners' systems give our columns (folded like headers when compared).
ALIASES: dict[str, tuple[str, ...]] = {
    "Name": ("Display Name", "Entry Point Name", "Label", "Description"),
    "Media Type": ("Channel", "Media", "Contact Type", "Channel Type"),
    "Point of Contact": ("Address", "Phone Number", "Phone", "Number", "Email Address", "DNIS"),
    "Skill": ("Queue", "Queue Name", "Skill Name", "Routing Queue"),
    "Script": ("Routing Script", "Flow", "IVR Script", "Call Flow", "Routing Flow"),
    "IVR Reporting Enabled": ("IVR Reporting", "Reporting", "IVR Enabled"),
    "Chat Profile": ("Chat Template", "Web Chat Profile"),
    "Active": ("Enabled", "Status", "Is Active"),
    "Row Changed": ("Changed", "Modified"),
    "Phone Number": ("Number", "DID", "DNIS", "Phone"),
    "Voice": ("Voice Capable", "Calls"),
    "SMS": ("SMS Capable", "Text", "Texts"),
}
# Partners' spellings of yes and no beyond those every Y/N column takes.
YES_NO_EXTRA = {"enabled": "Y", "active": "Y", "si": "Y", "ja": "Y", "oui": "Y"}
YES_NO_EXTRA |= {"disabled": "N", "inactive": "N", "nein": "N", "non": "N"}
PHONE = re.compile(r"\+?[\d\s().\-]{7,20}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Known:
    """The names the store holds, by the record type a column names (``skill``, ``script``,
    ``chat-profile``): a column whose values are mostly one kind's names is that column."""

    names: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def folded(self, kind: str) -> set[str]:
        return {fold(name) for name in self.names.get(kind, ())}


def guess_columns(
    rtype: RecordType,
    headers: Sequence[str],
    samples: Sequence[Sequence[str]],
    known: Known | None = None,
) -> dict[str, int]:
    """Our header -> the position of the file column most likely to hold it.

    ``samples[i]`` are the first cells of the file's column ``i``. A column is scored by its
    name (and the names partners use for ours) and by its values; pairs are taken best first,
    each file column once, and a pair below ``GOOD_ENOUGH`` is not guessed.
    """
    known = known or Known()
    scored: list[tuple[float, int, str, int]] = []
    for order, column in enumerate(_columns(rtype)):
        for at, header in enumerate(headers):
            if not header.strip() or fold_header(header) == fold_header(ERROR_COLUMN):
                continue
            cells = samples[at] if at < len(samples) else ()
            score = _score(column, header, cells, known)
            if score >= GOOD_ENOUGH:
                scored.append((score, -order, column.header, at))
    guessed: dict[str, int] = {}
    taken: set[int] = set()
    for _points, _order, ours, at in sorted(scored, reverse=True):
        if ours not in guessed and at not in taken:
            guessed[ours] = at
            taken.add(at)
    return {
        column.header: guessed[column.header]
        for column in _columns(rtype)
        if column.header in guessed
    }


def spelled_kind(rtype: RecordType, header: str) -> str | None:
    """What kind of values our column ``header`` takes that a partner may spell their own way:
    ``media_type``, ``yes_no`` or a record type a name refers to (``skill``…); None for others."""
    for column in _columns(rtype):
        if column.header == header:
            if column.kind in ("media_type", "yes_no"):
                return column.kind
            if column.kind == "ref":
                return column.ref
    return None


def guess_spellings(kind: str, values: Sequence[str], known: Known | None = None) -> dict[str, str]:
    """The partner's spelling -> ours, for each distinct value of ``values`` that is not
    already one of ours but clearly means one (``Voice`` -> ``Phone Call``, ``Enabled`` -> ``Y``,
    ``Sales Cals`` -> ``Sales Calls`` when that skill exists). ``kind`` as ``spelled_kind``."""
    from rapidfuzz import fuzz, process  # only the mapping step pays for it

    known = known or Known()
    cutoff: float
    if kind == "media_type":
        ours = list(MEDIA_TYPES)
        aliases = dict(MEDIA_TYPE_BY_ALIAS)
        cutoff = SPELLING_CUTOFF
    elif kind == "yes_no":
        ours, aliases, cutoff = [], dict(YES_NO_EXTRA), 100.0  # no fuzzy yes or no
    else:
        ours, aliases, cutoff = list(known.names.get(kind, ())), {}, NAME_CUTOFF
    accepted = YES_WORDS | NO_WORDS if kind == "yes_no" else {fold(value) for value in ours}
    spellings: dict[str, str] = {}
    for value in dict.fromkeys(value.strip() for value in values):
        if not value or fold(value) in accepted or fold(value) in map(fold, spellings):
            continue
        alias = aliases.get(fold_header(value).replace("-", "").replace("_", ""))
        if alias is None and ours:
            found = process.extractOne(
                fold(value), [fold(name) for name in ours], scorer=fuzz.ratio, score_cutoff=cutoff
            )
            alias = ours[found[2]] if found else None
        if alias is not None:
            spellings[value] = alias
    return spellings


def is_ours(kind: str, value: str, known: Known | None = None) -> bool:
    """Whether ``value`` is read as it is by a column taking ``kind`` (``spelled_kind``): one
    of our media types (exactly, not an alias), a Y/N word, or a name the store holds."""
    if kind == "media_type":
        return fold(value) in {fold(name) for name in MEDIA_TYPES}
    if kind == "yes_no":
        return fold(value) in YES_WORDS | NO_WORDS
    return fold(value) in (known or Known()).folded(kind)


def _columns(rtype: RecordType) -> list[Field]:
    return [rtype.key, *rtype.fields]


def _score(column: Field, header: str, cells: Sequence[str], known: Known) -> float:
    """How likely (0-100) the file column ``header`` with ``cells`` holds our ``column``."""
    name = _name_score(column.header, header)
    values = _value_score(column, cells, known)
    if values is None:
        return name
    # Values say what a column holds better than a name; the name breaks ties (two Y/N columns).
    return max(name, 0.9 * values + 0.1 * name)


def _name_score(ours: str, header: str) -> float:
    from rapidfuzz import fuzz

    theirs = " ".join(header.lstrip("\ufeff").split()).casefold()
    if fold_header(theirs) == fold_header(ours):
        return 101.0  # the same header: nothing beats it
    best = 0.0
    for name in (ours, *ALIASES.get(ours, ())):
        name = name.casefold()
        if fold_header(theirs) == fold_header(name):
            best = max(best, 95.0)
            continue
        mixed = (fuzz.ratio(theirs, name) + fuzz.token_set_ratio(theirs, name)) / 2
        best = max(best, 0.9 * mixed)
    return best


def _value_score(column: Field, cells: Sequence[str], known: Known) -> float | None:
    """The share (0-100) of the column's non-blank cells that look like ``column``'s values;
    None when its values say nothing (free text) or the column is blank."""
    values = [cell.strip() for cell in cells if cell and cell.strip()]
    if not values:
        return None
    if column.kind == "media_type":
        test = _is_media_type
    elif column.kind == "yes_no":
        words = YES_WORDS | NO_WORDS | set(YES_NO_EXTRA)
        test = lambda value: fold(value) in words  # noqa: E731
    elif column.kind in ("address", "phone"):
        test = _is_phone if column.kind == "phone" else _is_address
    elif column.kind == "ref" and column.ref and known.names.get(column.ref):
        names = known.folded(column.ref)
        test = lambda value: fold(value) in names  # noqa: E731
    elif column.kind == "id":
        test = DIGITS.fullmatch  # type: ignore[assignment]
        return 60.0 * sum(1 for value in values if test(value)) / len(values)
    else:
        return None
    return 100.0 * sum(1 for value in values if test(value)) / len(values)


def _is_media_type(value: str) -> bool:
    folded = fold_header(value).replace("-", "").replace("_", "")
    return folded in MEDIA_TYPE_BY_ALIAS


def _is_phone(value: str) -> bool:
    return bool(PHONE.fullmatch(value)) and sum(c.isdigit() for c in value) >= 7


def _is_address(value: str) -> bool:
    return _is_phone(value) or bool(EMAIL.fullmatch(value))
