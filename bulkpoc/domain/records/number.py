"""The number inventory: phone numbers provisioned for the contact centre."""

from __future__ import annotations

from bulkpoc.domain.actions import UPDATE
from bulkpoc.domain.errors.codes import NUMBER_IN_USE
from bulkpoc.domain.permissions import REFERENCE_DATA_EDIT
from bulkpoc.domain.records.base import Field, RecordType, Sheet


def check_changes(sheet: Sheet) -> None:
    """A capability cannot be removed while a point of contact of that media type uses it."""
    pocs = sheet.snapshot.pocs
    number = sheet.values["phone_number"]
    updating = sheet.action == UPDATE
    for column, header, media in (("voice", "Voice", "Phone Call"), ("sms", "SMS", "SMS")):
        users = pocs[pocs["media_type"] == media].drop_duplicates("address")
        user_name = number.map(users.set_index("address")["name"])
        removing = updating & sheet.changed[column] & sheet.values[column].eq(False)
        sheet.error(
            removing & user_name.notna(), header, NUMBER_IN_USE, media=media, user=user_name
        )


NUMBER = RecordType(
    name="number",
    label="Number",
    plural="Numbers",
    key=Field(
        "Phone Number", "phone_number", "phone", required=True, header_required=True, max_length=40
    ),
    fields=(
        Field("Voice", "voice", "yes_no", default=True, keep_if_blank=True),
        Field("SMS", "sms", "yes_no", default=False, keep_if_blank=True),
    ),
    permission=REFERENCE_DATA_EDIT,
    needs=("poc",),
    sheet_names=("numbers", "number", "numberinventory", "inventory"),
    check_changes=check_changes,
    instructions=(
        "Phone Number: any format; stored in +E.164 form, which is the record's key.",
        "Voice and SMS: Y or N; what the number can be used for (defaults Y and N).",
        "A capability cannot be turned off while a point of contact uses it.",
    ),
)

__all__ = ["NUMBER"]
