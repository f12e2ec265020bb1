"""The permissions a user can hold, named once: records, the store and the CLI import them."""

from __future__ import annotations

POC_CREATE = "Points of Contact Create"
SKILLS_EDIT = "Skills Edit"
POC_DEACTIVATE = "Points of Contact Deactivate"
REFERENCE_DATA_EDIT = "Reference Data Edit"
# The Administration pages: schedules, users and their permissions, API tokens, the outbox.
# One permission for all four: each can hand out another user's rights (a schedule or a token
# acts as any user), so none is safe to hold alone.
USERS_MANAGE = "Users Manage"

PERMISSIONS = (POC_CREATE, SKILLS_EDIT, POC_DEACTIVATE, REFERENCE_DATA_EDIT, USERS_MANAGE)
