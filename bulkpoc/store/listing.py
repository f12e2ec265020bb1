"""Finding records of any type: search, filter, sort and page in SQL, for the lists, the
record pages and the API; and one record by its key.

The database does the work (a page of 50 out of 100,000 never loads the other 99,950), so a
page costs the same whatever the store holds. Sort keys come from a whitelist, never from
the request. A record comes back as a dict keyed by its fields' names, which are the file's
column headers in snake case (``point_of_contact``, ``ivr_reporting_enabled``), its
references by the referenced record's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Engine,
    FromClause,
    Select,
    Subquery,
    false,
    func,
    or_,
    select,
)

from bulkpoc.domain.parsers import PHONE_MEDIA
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import Field, RecordType
from bulkpoc.domain.records.keys import fold
from bulkpoc.store import schema
from bulkpoc.store.record_tables import TABLES

Active = Literal["yes", "no"]
Use = Literal["free", "used"]  # a number no point of contact uses, or one that some use
Record = dict[str, Any]
LAST_MODIFIED = "last_modified"
INDEXED_SORTS = ("name", "media_type")  # keys an index of each table is in the order of
KEYS_PER_QUERY = 900  # under SQLite's oldest limit on a statement's parameters


# Each record type by its plural collection name, as the API's and the pages' paths spell it.
COLLECTIONS: dict[str, RecordType] = {f"{name}s": rtype for name, rtype in RECORD_TYPES.items()}


def collection(rtype: RecordType) -> str:
    """``rtype``'s plural collection name: ``pocs``, ``chat-profiles``, ``numbers``."""
    return f"{rtype.name}s"


def snake(header: str) -> str:
    """A column header as a field name: ``IVR Reporting Enabled`` -> ``ivr_reporting_enabled``."""
    return "_".join(header.lower().split())


def field_names(rtype: RecordType) -> dict[str, Field]:
    """``rtype``'s fields by name, in the file's column order; a key the store assigns is ``id``."""
    key = "id" if rtype.system_key else snake(rtype.key.header)
    return {key: rtype.key} | {snake(field.header): field for field in rtype.fields}


def sort_keys(rtype: RecordType) -> tuple[str, ...]:
    """What a list of ``rtype`` can be ordered by: every field, and when it last changed."""
    return (*field_names(rtype), LAST_MODIFIED)


def default_sort(rtype: RecordType) -> str:
    """What a list of ``rtype`` is ordered by unless asked otherwise: the name, or the key."""
    names = field_names(rtype)
    return "name" if "name" in names else next(iter(names))


def filters(rtype: RecordType) -> tuple[str, ...]:
    """The ``RecordFilter`` fields that apply to ``rtype`` (``query`` always does)."""
    columns = TABLES[rtype.name].c
    found = ["query"]
    if "media_type" in columns:
        found.append("media_type")
    if "skill" in rtype.references:
        found.append("skill")
    if "active" in columns:
        found.append("active")
    if rtype.name == "number":
        found.append("use")
    return tuple(found)


@dataclass(frozen=True)
class RecordFilter:
    """Which records to list; an empty value does not filter. ``query`` finds part of the
    name or the address (of a number: its phone number) in any case."""

    query: str = ""
    media_type: str = ""
    skill: str = ""  # a skill's name, in any case
    active: Active | None = None
    use: Use | None = None  # numbers only

    @property
    def names_skill(self) -> bool:
        return bool(self.skill.strip())


class _Query:
    """The SQL of one record type's list: its table, its references' tables and its order."""

    def __init__(self, rtype: RecordType) -> None:
        self.rtype = rtype
        self.table = TABLES[rtype.name]
        self.key = self.table.c[rtype.key.name]
        self.fields = field_names(rtype)
        self.refs = {
            name: TABLES[field.ref or ""].alias(f"ref_{name}")
            for name, field in self.fields.items()
            if field.kind == "ref"
        }

    def conditions(self, where: RecordFilter, dialect: str) -> list[ColumnElement[bool]]:
        if any("\x00" in text for text in (where.query, where.media_type, where.skill)):
            # No record holds a NUL, PostgreSQL refuses one in text and SQLite's LIKE stops
            # at it: such a filter matches nothing.
            return [false()]
        c, found = self.table.c, []
        text = where.query.strip()
        if text:
            if "name_key" in c:
                matches = [c.name_key.contains(fold(text), autoescape=True)]
            else:
                matches = [self.key.contains(text, autoescape=True)]
            if "address" in c:
                # SQLite's LIKE ignores (ASCII) case already: lower() per row would double it.
                matches.append(
                    c.address.contains(text, autoescape=True)
                    if dialect == "sqlite"
                    else c.address.icontains(text, autoescape=True)
                )
            found.append(or_(*matches))
        if where.media_type:
            found.append(c.media_type == where.media_type)
        if where.names_skill:
            found.append(self.refs["skill"].c.name_key == fold(where.skill))
        if where.active is not None:
            found.append(c.active == (where.active == "yes"))
        if where.use is not None and "phone_number" in c:
            pocs = schema.pocs
            used = select(pocs.c.address_key).where(pocs.c.media_type.in_(PHONE_MEDIA))
            taken = c.phone_number.in_(used)
            found.append(taken if where.use == "used" else ~taken)
        return found

    def sort_key(self, sort: str) -> ColumnElement:
        if sort == LAST_MODIFIED:
            return self.table.c.last_modified
        field = self.fields[sort]
        if field.kind == "ref":
            # A missing reference sorts as '' on both backends (they put NULL apart differently).
            return func.coalesce(self.refs[sort].c.name_key, "")
        if field.unique_column == "name_key":
            return self.table.c.name_key
        if field.kind == "address":
            return func.lower(self.table.c.address)
        return self.table.c[field.name]

    def joined(self, names: set[str], base: FromClause | None = None) -> FromClause:
        """``base`` (the table) joined to the tables of the references ``names``."""
        joined = self.table if base is None else base
        for name in names:
            field, ref = self.fields[name], self.refs[name]
            on = self.table.c[field.name] == ref.c.id
            nullable = self.table.c[field.name].nullable
            joined = joined.outerjoin(ref, on) if nullable else joined.join(ref, on)
        return joined

    def records(self, base: FromClause | None = None) -> Select:
        """Every field of the records (references by name, and their ids as ``name_id``)."""
        columns: list[ColumnElement] = []
        for name, field in self.fields.items():
            if field.kind == "ref":
                columns += [
                    self.refs[name].c.name.label(name),
                    self.refs[name].c.id.label(f"{name}_id"),
                ]
            else:
                columns.append(self.table.c[field.name].label(name))
        columns.append(self.table.c.last_modified.label(LAST_MODIFIED))
        return select(*columns).select_from(self.joined(set(self.refs), base))


class RecordListing:
    """The record-finding part of ``Store``."""

    engine: Engine

    def search_records(
        self,
        rtype: RecordType,
        where: RecordFilter = RecordFilter(),
        sort: str | None = None,
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Record], int]:
        """One page of the records of ``rtype`` that ``where`` selects, ordered by ``sort``
        (one of ``sort_keys``; by default ``default_sort``), and how many there are in all."""
        query = _Query(rtype)
        sort = sort or default_sort(rtype)
        conditions = query.conditions(where, self.engine.dialect.name)
        key = query.sort_key(sort)
        if where.query.strip() and sort in INDEXED_SORTS:
            # Text matches are few and no index finds them: walking the sort's index would
            # read the table row by row to find 50, while one scan and a sort of the matches
            # is bounded. Appending '' keeps the planner off the index.
            key = key.concat("")
        # The page's keys first, joining only what the filter and the order need; then the
        # names of those rows' references. Joining every skipped row costs more than that.
        needed = {"skill"} if where.names_skill else set()
        order = key.label("sort_key")
        page: Subquery = (
            select(query.key.label("page_key"), order)
            .select_from(query.joined(needed | ({sort} & set(query.refs))))
            .where(*conditions)
            .order_by(*_ordering(order, query.key, descending))
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        rows = query.records(page.join(query.table, query.key == page.c.page_key)).order_by(
            *_ordering(page.c.sort_key, page.c.page_key, descending)
        )
        count = select(func.count()).select_from(query.joined(needed)).where(*conditions)
        with self.engine.connect() as connection:
            total = int(connection.scalar(count) or 0)
            found = [dict(row._mapping) for row in connection.execute(rows)]
        return found, total

    def find_record(self, rtype: RecordType, key: int | str) -> Record | None:
        """The record of ``rtype`` whose key is ``key``, or None."""
        query = _Query(rtype)
        if isinstance(key, str) and (rtype.system_key or "\x00" in key):
            return None
        with self.engine.connect() as connection:
            row = connection.execute(query.records().where(query.key == key)).first()
        return dict(row._mapping) if row else None

    def find_records(self, rtype: RecordType, keys: list[int | str]) -> list[Record]:
        """The records of ``rtype`` whose key is one of ``keys``, in key order; a few
        queries however many keys (those naming no record are left out)."""
        query = _Query(rtype)
        if rtype.system_key:
            keys = [key for key in keys if isinstance(key, int) or str(key).isdigit()]
            keys = [int(key) for key in keys if 0 < int(key) <= schema.MAX_ID]
        found: list[Record] = []
        with self.engine.connect() as connection:
            for start in range(0, len(keys), KEYS_PER_QUERY):
                chunk = keys[start : start + KEYS_PER_QUERY]
                rows = connection.execute(query.records().where(query.key.in_(chunk)))
                found += [dict(row._mapping) for row in rows]
        return sorted(found, key=lambda record: record[next(iter(query.fields))])

    def stored_keys(self, rtype: RecordType, cells: list[str]) -> dict[str, int | str]:
        """Of ``cells`` (a file's key column), those naming a stored record of ``rtype``, each
        with the record's key; one query, whatever the number of cells."""
        wanted: dict[str, int | str] = {}
        for cell in cells:
            text = cell.strip()
            if rtype.system_key and text.isdigit() and 0 < int(text) <= schema.MAX_ID:
                wanted[cell] = int(text)
            elif text and not rtype.system_key:
                wanted[cell] = text
        if not wanted:
            return {}
        column = TABLES[rtype.name].c[rtype.key.name]
        query = select(column).where(column.in_(set(wanted.values())))
        with self.engine.connect() as connection:
            found = set(connection.scalars(query))
        return {cell: key for cell, key in wanted.items() if key in found}

    def number_users(self, phone_numbers: list[str]) -> dict[str, list[Record]]:
        """Of ``phone_numbers``, those a point of contact uses (a Phone Call's or an SMS's
        address), each with the points of contact (``id``, ``name``, ``media_type``)."""
        pocs = schema.pocs
        query = (
            select(pocs.c.address_key, pocs.c.id, pocs.c.name, pocs.c.media_type)
            .where(pocs.c.media_type.in_(PHONE_MEDIA), pocs.c.address_key.in_(set(phone_numbers)))
            .order_by(pocs.c.name_key)
        )
        users: dict[str, list[Record]] = {}
        with self.engine.connect() as connection:
            for address, poc_id, name, media_type in connection.execute(query):
                users.setdefault(address, []).append(
                    {"id": poc_id, "name": name, "media_type": media_type}
                )
        return users

    def skill_names(self) -> list[str]:
        """Every skill's name, in name order (the list's skill filter offers them)."""
        skills = schema.skills
        with self.engine.connect() as connection:
            return list(connection.scalars(select(skills.c.name).order_by(skills.c.name_key)))


def _ordering(key: ColumnElement, tie: ColumnElement, descending: bool) -> list[ColumnElement]:
    """By ``key``, then ``tie`` (the key) the same way, so every page has a stable order."""
    return [key.desc(), tie.desc()] if descending else [key.asc(), tie.asc()]
