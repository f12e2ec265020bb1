"""What a record's page says when a change from it was refused: the batch's messages, and
for a point of contact refused deactivation because it is on an active skill, the way out
the rule's message names (an inactive point of contact may stay on an inactive skill): the
inactive skills of its media type, the one the message suggests first."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bulkpoc.domain.errors.codes import DEACTIVATION_BLOCKED
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.result import BatchResult
from bulkpoc.store.choices import references
from bulkpoc.store.db import Store

SUGGESTED = re.compile(r"for example '([^']+)'")


@dataclass(frozen=True)
class Refusal:
    """Why a change was refused: a title and the batch's messages, and the batch."""

    title: str
    messages: list[str]
    batch_id: int | None


@dataclass(frozen=True)
class WayOut:
    """The inactive skills a refused deactivation may move the point of contact to."""

    skills: list[str]
    suggested: str | None


def refusal(title: str, result: BatchResult) -> Refusal:
    messages = [error.message for error in result.errors]
    if not messages and result.failure:
        messages = [result.failure]
    return Refusal(title, messages, result.batch_id)


def way_out(store: Store, rtype: RecordType, key: int | str, result: BatchResult) -> WayOut | None:
    """The way out of a refused deactivation of a point of contact; None for other refusals."""
    blocked = [e for e in result.errors if e.code == DEACTIVATION_BLOCKED.code]
    if rtype.name != "poc" or not blocked:
        return None
    record = store.find_record(rtype, key)
    if record is None:
        return None
    skills = [s.name for s in references(store.engine, "skill", record["media_type"], False)]
    named = SUGGESTED.search(blocked[0].message)
    suggested = named.group(1) if named and named.group(1) in skills else None
    return WayOut(skills, suggested or (skills[0] if skills else None))
