"""What the plan decides for each row; its own module so record types need not import the sheet.

``REMOVE`` is for an undo only: it takes back a record the undone batch created.
"""

CREATE, UPDATE, UNCHANGED, FAILED, REMOVE = "create", "update", "unchanged", "failed", "remove"
