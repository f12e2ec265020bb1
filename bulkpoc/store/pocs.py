"""Finding points of contact: search, filter, sort and page in SQL, for the list page.

The database does the work (a page of 50 out of 100,000 never loads the other 99,950), so the
page costs the same whatever the store holds. Sort keys come from a whitelist, never from
the request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Engine, FromClause, func, or_, select

from bulkpoc.domain.records.keys import fold
from bulkpoc.store import schema

Active = Literal["yes", "no"]

_pocs, _skills, _scripts, _profiles = (
    schema.pocs,
    schema.skills,
    schema.scripts,
    schema.chat_profiles,
)

# What each sort key orders by: names and addresses in lower case, so case never splits kin.
SORTS: dict[str, ColumnElement] = {
    "name": _pocs.c.name_key,
    "media_type": _pocs.c.media_type,
    "address": func.lower(_pocs.c.address),
    "skill": _skills.c.name_key,
    "active": _pocs.c.active,
    "last_modified": _pocs.c.last_modified,
}

INDEXED_SORTS = ("name", "media_type")  # the keys an index of pocs is in the order of


@dataclass(frozen=True)
class PocRow:
    """One point of contact as the list shows it: its references by name."""

    id: int
    name: str
    media_type: str
    address: str
    skill: str
    script: str
    chat_profile: str | None
    ivr_enabled: bool
    active: bool
    last_modified: dt.datetime


@dataclass(frozen=True)
class PocFilter:
    """Which points of contact to list; an empty value does not filter."""

    query: str = ""  # part of the name or the address, in any case
    media_type: str = ""
    skill: str = ""  # a skill's name, in any case
    active: Active | None = None

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.query.strip():
            text = self.query.strip()
            # SQLite's LIKE ignores (ASCII) case already: lower() per row would double the cost.
            address = (
                _pocs.c.address.contains(text, autoescape=True)
                if dialect == "sqlite"
                else _pocs.c.address.icontains(text, autoescape=True)
            )
            found.append(or_(_pocs.c.name_key.contains(fold(text), autoescape=True), address))
        if self.media_type:
            found.append(_pocs.c.media_type == self.media_type)
        if self.names_skill:
            found.append(_skills.c.name_key == fold(self.skill))
        if self.active is not None:
            found.append(_pocs.c.active == (self.active == "yes"))
        return found

    @property
    def names_skill(self) -> bool:
        return bool(self.skill.strip())


class PocDirectory:
    """The points-of-contact list part of ``Store``."""

    engine: Engine

    def search_pocs(
        self,
        where: PocFilter,
        sort: str = "name",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[PocRow], int]:
        """One page of the points of contact ``where`` selects, ordered by ``sort`` (a key
        of ``SORTS``), and how many there are in all."""
        conditions = where.conditions(self.engine.dialect.name)
        key = SORTS[sort]
        if where.query.strip() and sort in INDEXED_SORTS:
            # Text matches are few and no index finds them: walking the sort's index would
            # read the table row by row to find 50, while one scan and a sort of the matches
            # is bounded. Appending '' keeps the planner off the index.
            key = key.concat("")
        # The page's ids first, joining only what the filter and the order need; then the
        # names of those 50 rows' references. Joining every skipped row costs more than that.
        order = key.label("sort_key")
        ids = (
            select(_pocs.c.id, order)
            .select_from(_joined(where.names_skill or sort == "skill"))
            .where(*conditions)
            .order_by(*_ordering(order, _pocs.c.id, descending))
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        page = (
            select(
                _pocs.c.id,
                _pocs.c.name,
                _pocs.c.media_type,
                _pocs.c.address,
                _skills.c.name.label("skill"),
                _scripts.c.name.label("script"),
                _profiles.c.name.label("chat_profile"),
                _pocs.c.ivr_enabled,
                _pocs.c.active,
                _pocs.c.last_modified,
            )
            .select_from(
                ids.join(_pocs, _pocs.c.id == ids.c.id)
                .join(_skills, _pocs.c.skill_id == _skills.c.id)
                .join(_scripts, _pocs.c.script_id == _scripts.c.id)
                .outerjoin(_profiles, _pocs.c.chat_profile_id == _profiles.c.id)
            )
            .order_by(*_ordering(ids.c.sort_key, ids.c.id, descending))
        )
        count = select(func.count()).select_from(_joined(where.names_skill)).where(*conditions)
        with self.engine.connect() as connection:
            total = int(connection.scalar(count) or 0)
            rows = [PocRow(**row._mapping) for row in connection.execute(page)]
        return rows, total

    def skill_names(self) -> list[str]:
        """Every skill's name, in name order (the list's skill filter offers them)."""
        query = select(_skills.c.name).order_by(_skills.c.name_key)
        with self.engine.connect() as connection:
            return list(connection.scalars(query))


def _joined(with_skills: bool) -> FromClause:
    return _pocs.join(_skills, _pocs.c.skill_id == _skills.c.id) if with_skills else _pocs


def _ordering(key: ColumnElement, tie: ColumnElement, descending: bool) -> list[ColumnElement]:
    """By ``key``, then ``tie`` (the id) the same way, so every page has a stable order."""
    return [key.desc(), tie.desc()] if descending else [key.asc(), tie.asc()]
