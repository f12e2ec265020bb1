"""Use cases beside the batch: logins, passwords and API tokens (``auth``), and the demo."""
