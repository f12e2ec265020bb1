"""Skills, routing scripts and chat profiles: named reference data POCs point at."""

from __future__ import annotations

import pandas as pd

from bulkpoc.domain.permissions import REFERENCE_DATA_EDIT, SKILLS_EDIT
from bulkpoc.domain.records.base import MEDIA_TYPE, NAME, Field, RecordType
from bulkpoc.domain.records.keys import casefold


def _derive_name_key(frame: pd.DataFrame) -> pd.DataFrame:
    if "name_key" not in frame:  # records read from the store already have it
        frame["name_key"] = casefold(frame["name"])
    return frame


SKILL = RecordType(
    name="skill",
    label="Skill",
    plural="Skills",
    key=Field("Skill ID", "id", "id"),
    fields=(
        NAME,
        MEDIA_TYPE,
        Field("Active", "active", "yes_no", default=True, keep_if_blank=True),
    ),
    permission=SKILLS_EDIT,
    sheet_names=("skills", "skill"),
    derive=_derive_name_key,
    instructions=(
        "Skills route contacts to agents. Each point of contact is assigned one skill of its "
        "own media type; only active skills can be assigned.",
        "Deactivating a skill is allowed at any time; points of contact keep it.",
    ),
)

SCRIPT = RecordType(
    name="script",
    label="Script",
    plural="Scripts",
    key=Field("Script ID", "id", "id"),
    fields=(
        NAME,
        MEDIA_TYPE,
    ),
    permission=REFERENCE_DATA_EDIT,
    sheet_names=("scripts", "script", "routingscripts"),
    derive=_derive_name_key,
    instructions=("Routing scripts handle contacts of one media type.",),
)

CHAT_PROFILE = RecordType(
    name="chat-profile",
    label="Chat Profile",
    plural="Chat Profiles",
    key=Field("Chat Profile ID", "id", "id"),
    fields=(NAME,),
    permission=REFERENCE_DATA_EDIT,
    sheet_names=("chatprofiles", "chatprofile"),
    derive=_derive_name_key,
    instructions=("Chat profiles control what customers see when they chat.",),
)

__all__ = ["CHAT_PROFILE", "SCRIPT", "SKILL"]
