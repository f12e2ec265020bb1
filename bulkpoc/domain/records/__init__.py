"""The registry of record types, by their CLI name."""

from bulkpoc.domain.records.base import ERROR_COLUMN, LAST_MODIFIED, ROW_CHANGED, Field, RecordType
from bulkpoc.domain.records.number import NUMBER
from bulkpoc.domain.records.poc import POC
from bulkpoc.domain.records.reference import CHAT_PROFILE, SCRIPT, SKILL

RECORD_TYPES: dict[str, RecordType] = {
    rtype.name: rtype for rtype in (POC, SKILL, SCRIPT, CHAT_PROFILE, NUMBER)
}


__all__ = [
    "ERROR_COLUMN",
    "LAST_MODIFIED",
    "RECORD_TYPES",
    "ROW_CHANGED",
    "Field",
    "RecordType",
]
