"""The results page's fixes, without JavaScript: the failed cells of the grid as inputs of one
form ("Submit fixes"), and a form per error group that replaces one value in one column for
every row of the group, with the did-you-mean names as one-click buttons.

The grid's inputs are named ``cell:ROW:COLUMN`` and each carries the value it showed in
``was:ROW:COLUMN``: only the cells a person changed become fixes, so a cell shown from the
error file is never written back over the file's own. A group's form posts
``group_column``, ``group_from`` and ``group_to`` (typed) or ``group_use`` (a suggestion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import FormData

from bulkpoc.batch.fixes import CellFix, FixRefused, GroupFix
from bulkpoc.domain.errors.codes import suggested_names
from bulkpoc.store.fixes import ErrorGroup

CELL, WAS = "cell:", "was:"


@dataclass(frozen=True)
class GroupOffer:
    """An error group as the page offers its fix: "312 rows: Skill 'Sales Cals' does not
    exist", and the names to use instead."""

    group: ErrorGroup
    headline: str
    suggestions: list[str]


def headline(message: str) -> str:
    """A message's first clause: what is wrong, without how to resolve it."""
    return re.split(r"; |\. |\.$", message, maxsplit=1)[0]


def offers(groups: list[ErrorGroup]) -> list[GroupOffer]:
    """The page's group fixes, from the batch's error records (nothing is matched again)."""
    return [GroupOffer(g, headline(g.message), suggested_names(g.message)) for g in groups]


def fixes_posted(form: FormData) -> tuple[list[CellFix], list[GroupFix]]:
    """The cell fixes (the cells changed) and the group fix a form posted."""
    cells = []
    for name, value in form.multi_items():
        if not name.startswith(CELL) or not isinstance(value, str):
            continue
        row_text, _, column = name[len(CELL) :].partition(":")
        if not row_text.isdigit() or not column:
            raise FixRefused(f"{name!r} names no cell: use cell:ROW:COLUMN.")
        if value != form.get(WAS + name[len(CELL) :]):
            cells.append(CellFix(int(row_text), column, value))
    groups = []
    group_column = form.get("group_column")
    if isinstance(group_column, str):
        old, new = form.get("group_from"), form.get("group_use") or form.get("group_to")
        if not isinstance(old, str) or not isinstance(new, str):
            raise FixRefused("Say which value to replace, and with what.")
        groups.append(GroupFix(group_column, old, new.strip()))
    return cells, groups
