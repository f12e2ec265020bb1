"""The permissions a user can hold, named once: records, the store and the CLI import them."""

from __future__ import annotations

POC_CREATE = "Points of Contact Create"
SKILLS_EDIT = "Skills Edit"
POC_DEACTIVATE = "Points of Contact Deactivate"
REFERENCE_DATA_EDIT = "Reference Data Edit"

PERMISSIONS = (POC_CREATE, SKILLS_EDIT, POC_DEACTIVATE, REFERENCE_DATA_EDIT)
