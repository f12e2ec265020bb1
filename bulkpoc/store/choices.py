"""What a single record's form offers to choose from: the skills, scripts and chat profiles
by name, and the inventory's numbers a new point of contact may take.

A form shows a bounded list: the inventory may hold thousands of free numbers, so a query
finds part of a number and the form says how many there are in all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, Table, and_, func, select

from bulkpoc.store import schema

NUMBER_LIMIT = 200  # numbers a form lists at once; a search finds the others
REFERENCE_TABLES: dict[str, Table] = {
    "skill": schema.skills,
    "script": schema.scripts,
    "chat-profile": schema.chat_profiles,
}
CAPABILITY = {"Phone Call": schema.numbers.c.voice, "SMS": schema.numbers.c.sms}


@dataclass(frozen=True)
class Reference:
    """A record a form may name: its name, and whether it is active (skills only)."""

    name: str
    active: bool = True


def references(
    engine: Engine, ref: str, media_type: str | None = None, active: bool | None = None
) -> list[Reference]:
    """The records of the reference type ``ref`` (skill, script, chat-profile) in name
    order, of ``media_type`` and in the ``active`` state when given (and the type has one)."""
    table = REFERENCE_TABLES[ref]
    has_active = "active" in table.c
    columns = [table.c.name, table.c.active if has_active else None]
    query = select(*[c for c in columns if c is not None]).order_by(table.c.name_key)
    if media_type is not None and "media_type" in table.c:
        query = query.where(table.c.media_type == media_type)
    if active is not None and has_active:
        query = query.where(table.c.active == active)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [Reference(row[0], bool(row[1]) if has_active else True) for row in rows]


@dataclass(frozen=True)
class FreeNumbers:
    """A page of the numbers a point of contact of one media type may take, and how many
    there are in all (before the search)."""

    shown: list[str]
    matching: int  # numbers the search finds
    free: int  # numbers free in all


def free_numbers(
    engine: Engine, media_type: str, search: str = "", limit: int = NUMBER_LIMIT
) -> FreeNumbers:
    """The inventory's numbers capable of ``media_type`` (voice for Phone Call, SMS for SMS)
    that no point of contact of that media type uses, in number order; ``search`` keeps
    those containing it (its digits, so ``(202) 555`` finds ``+1202555…``)."""
    numbers, pocs = schema.numbers, schema.pocs
    used = select(pocs.c.address).where(pocs.c.media_type == media_type)
    free = and_(CAPABILITY[media_type].is_(True), numbers.c.phone_number.not_in(used))
    digits = "".join(ch for ch in search if ch.isdigit())
    matching = (
        and_(free, numbers.c.phone_number.contains(digits, autoescape=True)) if digits else free
    )
    query = (
        select(numbers.c.phone_number).where(matching).order_by(numbers.c.phone_number).limit(limit)
    )
    with engine.connect() as connection:
        shown = list(connection.scalars(query))
        found = int(connection.scalar(select(func.count()).where(matching)) or 0)
        total = (
            found if not digits else int(connection.scalar(select(func.count()).where(free)) or 0)
        )
    return FreeNumbers(shown, found, total)
