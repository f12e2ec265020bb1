"""A user of bulkpoc: who submits a batch, and the permissions every row is checked against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """A user as the store keeps them: name, email address, permissions, password hash, and
    whether an administrator disabled them (no login, no session, no API token)."""

    name: str
    email: str | None
    permissions: frozenset[str]
    password_hash: str | None = None
    disabled: bool = False
