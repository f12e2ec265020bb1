"""Points of contact: the record type with the richest rules (SPEC §2)."""

from __future__ import annotations

import secrets
from functools import partial

import pandas as pd

from bulkpoc.domain.actions import CREATE, UPDATE
from bulkpoc.domain.errors.codes import (
    ASSIGNED_BY_SYSTEM,
    CHAT_PROFILE_NOT_CHAT,
    DEACTIVATION_BLOCKED,
    IVR_NOT_PHONE,
    MEDIA_TYPE_MISMATCH,
    NOT_IN_INVENTORY,
    NUMBER_NOT_CAPABLE,
    REQUIRED,
    SKILL_INACTIVE,
    SYSTEM_ADDRESS_CHANGED,
)
from bulkpoc.domain.errors.log import row_list
from bulkpoc.domain.parsers import (
    PHONE_MEDIA,
    SYSTEM_ADDRESS_MEDIA,
    TEXT,
    parse_email,
    parse_phone,
    strip_apostrophes,
)
from bulkpoc.domain.permissions import POC_CREATE, POC_DEACTIVATE, SKILLS_EDIT
from bulkpoc.domain.records.base import MEDIA_TYPE, NAME, Field, RecordType, Sheet
from bulkpoc.domain.records.keys import casefold, lower

ADDRESS = "Point of Contact"
ADDRESS_KIND = {"Phone Call": "phone number", "SMS": "phone number", "Email": "email address"}


def derive(frame: pd.DataFrame) -> pd.DataFrame:
    """The folded forms uniqueness is enforced on: of the name, and of the address."""
    if "name_key" not in frame:  # records read from the store already have it
        frame["name_key"] = casefold(frame["name"])
    return _derive_address_keys(frame)


def _derive_address_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Email addresses are unique whatever their case; other addresses as they are. Arrow
    text throughout: a Python string per address was 100 MB of a million-row batch."""
    address = frame["address"].astype(TEXT)
    is_email = address.notna() & (frame["media_type"] == "Email")
    key = address.copy(deep=False)
    if is_email.any():
        key[is_email] = lower(address[is_email])
    frame["address_key"] = key
    return frame


def assign(frame: pd.DataFrame) -> pd.DataFrame:
    """Chat and Work Item points of contact get an opaque identifier on create."""
    needs_id = frame["media_type"].isin(SYSTEM_ADDRESS_MEDIA) & frame["address"].isna()
    if needs_id.any():
        prefix = frame.loc[needs_id, "media_type"].map({"Chat": "CHAT-", "Work Item": "WI-"})
        frame.loc[needs_id, "address"] = [
            p + token for p, token in zip(prefix, _random_tokens(len(prefix)), strict=True)
        ]
        chosen = frame.loc[needs_id, ["address", "media_type"]]
        frame.loc[needs_id, "address_key"] = _derive_address_keys(chosen)["address_key"]
    return frame


def _random_tokens(count: int, size: int = 12) -> list[str]:
    """``count`` random upper-case hex identifiers from one call to the OS random source."""
    text = secrets.token_bytes(size * count).hex().upper()
    step = 2 * size
    return [text[i : i + step] for i in range(0, len(text), step)]


def check(sheet: Sheet) -> None:
    """Rules that need only the parsed row and the reference data."""
    _check_address(sheet)
    # Rows identical to the store hold stored, already consistent values: check the others.
    values = sheet.values[sheet.to_check]
    media = values["media_type"]
    for name, header in (("skill_id", "Skill"), ("script_id", "Script")):
        ref_media = sheet.ref(name, "media_type", values.index)
        mismatch = media.notna() & ref_media.notna() & (ref_media != media)
        sheet.error(
            mismatch,
            header,
            MEDIA_TYPE_MISMATCH,
            name=partial(sheet.ref, name, "name"),
            theirs=ref_media,
            ours=media,
            what=header.lower(),
        )
    ivr = values["ivr_enabled"].eq(True) & media.notna() & (media != "Phone Call")
    sheet.error(ivr, "IVR Reporting Enabled", IVR_NOT_PHONE)
    profile = values["chat_profile_id"].notna() & media.notna() & (media != "Chat")
    sheet.error(profile, "Chat Profile", CHAT_PROFILE_NOT_CHAT)


def _check_address(sheet: Sheet) -> None:
    """Parse the address by media type; rows identical to the store keep the stored one."""
    to_check = sheet.to_check
    cells = strip_apostrophes(sheet.cells.loc[to_check, ADDRESS])
    media = sheet.values.loc[to_check, "media_type"]
    stored = sheet.stored.loc[to_check, "address"]
    is_create, is_update = sheet.is_create[to_check], sheet.is_update[to_check]
    address = pd.Series(None, index=cells.index, dtype=object)

    phone = media.isin(PHONE_MEDIA) & (cells != "")
    if phone.any():
        inventory = sheet.snapshot.numbers.numbers
        parsed = parse_phone(cells[phone], ADDRESS, sheet.region, inventory)
        sheet.record(ADDRESS, parsed)
        address[phone] = parsed.values
        _check_inventory(sheet, address, media)
        repaired = parsed.repaired
        if repaired is not None and repaired.any():
            rows = sheet.rows[repaired[repaired].index].tolist()
            sheet.warnings.append(
                f"Repaired {len(rows)} phone number(s) that a spreadsheet had turned into numbers "
                f"(rows {row_list(rows)}); format the Point of Contact column as Text to avoid it."
            )

    email = (media == "Email") & (cells != "")
    if email.any():
        parsed = parse_email(cells[email], ADDRESS, accepted=cells[email] == stored[email])
        sheet.record(ADDRESS, parsed)
        address[email] = parsed.values

    needs_address = media.isin((*PHONE_MEDIA, "Email")) & (cells == "")
    sheet.error(
        needs_address,
        ADDRESS,
        REQUIRED,
        detail=lambda rows: ": the " + media[rows].map(ADDRESS_KIND) + " of this point of contact",
    )

    system = media.isin(SYSTEM_ADDRESS_MEDIA)
    # An undo re-creating a point of contact it removed gives it back its identifier.
    restoring = (
        sheet.restoring[to_check].notna()
        if sheet.restoring is not None
        else pd.Series(False, index=cells.index)
    )
    given_on_create = system & is_create & (cells != "") & ~restoring
    sheet.error(given_on_create, ADDRESS, ASSIGNED_BY_SYSTEM, media=media)
    differs = system & is_update & (cells != "") & (cells != stored.astype(object).fillna(""))
    sheet.error(differs, ADDRESS, SYSTEM_ADDRESS_CHANGED, media=media)
    keep = system & is_update
    address[keep] = stored[keep]
    restored = system & is_create & restoring & (cells != "")
    address[restored] = cells[restored]
    sheet.values["address"] = sheet.with_stored("address", address, text=True)


def _check_inventory(sheet: Sheet, address: pd.Series, media: pd.Series) -> None:
    inventory = sheet.snapshot.numbers
    is_phone = address.notna() & media.isin(PHONE_MEDIA)
    position = inventory.find(address.where(is_phone, None))
    known = is_phone & (position >= 0)
    sheet.error(is_phone & ~known, ADDRESS, NOT_IN_INVENTORY, number=address)
    capability = pd.Series(False, index=address.index)
    for media_type, capable in (("Phone Call", inventory.voice), ("SMS", inventory.sms)):
        rows = (known & (media == media_type)).to_numpy()
        capability[rows] = ~capable[position[rows]]
    sheet.error(
        capability,
        ADDRESS,
        NUMBER_NOT_CAPABLE,
        number=address,
        capability=lambda rows: media[rows].map({"Phone Call": "voice", "SMS": "SMS"}),
    )


def check_changes(sheet: Sheet) -> None:
    """Rules on what a row changes: assigning skills and deactivating."""
    values, changed = sheet.values, sheet.changed
    creating = sheet.action == CREATE
    updating = sheet.action == UPDATE
    if not (creating | updating).any():
        return  # an unchanged re-upload assigns and deactivates nothing
    skill_active = sheet.ref("skill_id", "active")
    becomes_inactive = values["active"].eq(False) & (creating | (updating & changed["active"]))
    blocked = becomes_inactive & skill_active.eq(True)
    sheet.error(
        blocked,
        "Active",
        DEACTIVATION_BLOCKED,
        way_out=lambda rows: _deactivation_way_out(sheet, values.loc[rows, "media_type"]),
    )

    assigning = creating | (updating & changed["skill_id"])
    inactive_skill = assigning & values["active"].ne(False) & skill_active.eq(False)
    sheet.error(
        inactive_skill, "Skill", SKILL_INACTIVE, name=partial(sheet.ref, "skill_id", "name")
    )


def _deactivation_way_out(sheet: Sheet, media: pd.Series) -> pd.Series:
    skills = sheet.snapshot.refs["skill"]
    inactive = skills[~skills["active"].astype(bool)].drop_duplicates("media_type")
    example = media.map(inactive.set_index("media_type")["name"])
    simple = (
        "To resolve it, set Skill in the same row to an inactive " + media.astype(str) + " skill"
    )
    named = simple + " (for example '" + example.astype(str) + "')"
    hint = named.where(example.notna(), simple)
    return (
        hint + " and Active to N; or reactivate an old inactive skill, assign this point of "
        "contact to it, deactivate that skill, then deactivate the point of contact."
    )


POC = RecordType(
    name="poc",
    label="Point of Contact",
    plural="Points of Contact",
    key=Field("Point of Contact ID", "id", "id"),
    fields=(
        NAME,
        MEDIA_TYPE,
        Field(
            ADDRESS,
            "address",
            "address",
            header_required=True,
            max_length=320,
            unique_column="address_key",
        ),
        Field(
            "Skill",
            "skill_id",
            "ref",
            required=True,
            header_required=True,
            permission=SKILLS_EDIT,
            ref="skill",
        ),
        Field("Script", "script_id", "ref", required=True, header_required=True, ref="script"),
        Field("IVR Reporting Enabled", "ivr_enabled", "yes_no", default=False, keep_if_blank=True),
        Field("Chat Profile", "chat_profile_id", "ref", ref="chat-profile"),
        Field(
            "Active",
            "active",
            "yes_no",
            default=True,
            keep_if_blank=True,
            permission=POC_DEACTIVATE,
        ),
    ),
    permission=POC_CREATE,
    has_last_modified=True,
    needs=("number",),
    sheet_names=("pointsofcontact", "pointofcontact", "pocs", "poc"),
    check=check,
    check_changes=check_changes,
    derive=derive,
    assign=assign,
    instructions=(
        "Leave Point of Contact ID blank to create a point of contact; keep it to update one.",
        "Media Type: Phone Call, Email, Chat, SMS or Work Item. It cannot change on update.",
        "Point of Contact: a phone number from the number inventory for Phone Call and SMS "
        "(any format; stored as +E.164), an email address for Email, blank for Chat and Work "
        "Item (the system assigns an identifier).",
        "Skill and Script: names of existing ones of the same media type; the skill must be "
        "active when you assign it.",
        "IVR Reporting Enabled: Y or N (default N); Y only for Phone Call.",
        "Chat Profile: only for Chat.",
        "Active: Y or N (default Y). A point of contact assigned to an active skill cannot be "
        "deactivated; set Skill to an inactive skill in the same row.",
        "Row Changed: mark edited rows with Y and upload with Rows to Include = Changed Rows "
        "Only to process just those.",
        "Last Modified: leave as exported; if someone changed the record since, the row fails "
        "as a conflict unless you upload with Overwrite.",
    ),
)
