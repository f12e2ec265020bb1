"""What the plan decides for each row; its own module so record types need not import the sheet."""

CREATE, UPDATE, UNCHANGED, FAILED = "create", "update", "unchanged", "failed"
