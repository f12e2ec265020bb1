"""Web sessions: a random id in the cookie, the session itself in the store.

Every process serving the web UI reads the same table, so a session ends everywhere at once:
on logout, when the user's password is set, when a lock or an administrator disables the
user, when the user is removed, and when it has been idle or alive too long (the
``session_idle_seconds`` and ``session_max_seconds`` settings). Knows nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from bulkpoc.config import Settings
from bulkpoc.domain.errors.types import UnknownUser
from bulkpoc.domain.users import User
from bulkpoc.store.db import Store, utcnow

ID_BYTES = 32  # 256 random bits: an id cannot be guessed
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)  # what token_urlsafe(ID_BYTES) gives
SEEN_EVERY = dt.timedelta(minutes=1)  # record a visit at most this often…


def new_session_id() -> str:
    """A fresh random id, for a session or for a visitor not logged in."""
    return secrets.token_urlsafe(ID_BYTES)


def well_formed(session_id: str) -> bool:
    """Whether ``session_id`` could be one ``new_session_id`` made (else: make a new one)."""
    return ID_PATTERN.fullmatch(session_id) is not None


def start_session(
    store: Store, user_name: str, settings: Settings, now: dt.datetime | None = None
) -> str:
    """A new session of ``user_name``; its id, for the cookie. Expired sessions go meanwhile."""
    now = now or utcnow()
    session_id = new_session_id()
    store.add_session(
        _digest(session_id),
        user_name,
        now,
        forget_before=now - dt.timedelta(seconds=settings.session_max_seconds),
        forget_idle_before=now - dt.timedelta(seconds=settings.session_idle_seconds),
    )
    return session_id


def session_user(
    store: Store, session_id: str, settings: Settings, now: dt.datetime | None = None
) -> User | None:
    """The user of a live session; None when there is no such session (never was, ended,
    expired, or its user is disabled or gone). An expired session is ended on the way."""
    if not well_formed(session_id):
        return None
    key = _digest(session_id)
    found = store.find_session(key)
    if found is None:
        return None
    now = now or utcnow()
    idle = dt.timedelta(seconds=settings.session_idle_seconds)
    longest = dt.timedelta(seconds=settings.session_max_seconds)
    if now - found.last_seen_at > idle or now - found.created_at > longest:
        store.end_session(key)
        return None
    if now - found.last_seen_at >= min(SEEN_EVERY, idle / 4):  # …and often enough for idle
        store.note_session_seen(key, now)
    try:
        return store.get_user(found.user)
    except UnknownUser:  # removed since
        return None


def end_session(store: Store, session_id: str) -> None:
    """Log out: the session ends in every process."""
    if well_formed(session_id):
        store.end_session(_digest(session_id))


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()
