"""Who is asking: passwords, login throttling, API tokens and the session secret.

A library for the web pages, the API and the CLI alike; it knows nothing of HTTP. Every piece
of state (failed logins, tokens, the secret) lives in the store, so several server processes
behind a load balancer agree on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bulkpoc.domain.errors.types import BulkpocError, UnknownUser
from bulkpoc.domain.users import User
from bulkpoc.store.accounts import TokenInfo
from bulkpoc.store.db import Store, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5  # this many failures for one name within FAILURE_WINDOW…
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)  # …refuse that name for this long after the last of them
NAME_LENGTH = 100  # as long as a user or token name can be in the store

TOKEN_PREFIX = "bpk_"  # says what a leaked string is, for people and secret scanners
LAST_USED_EVERY = dt.timedelta(minutes=1)  # record a token's use at most this often
SESSION_SECRET = "session"

WRONG_LOGIN = "Wrong user name or password."

_hasher = PasswordHasher()


class PasswordRejected(BulkpocError):
    """A password too weak to set."""

    code = "password_rejected"


class LoginRefused(BulkpocError):
    """A login that did not succeed; the message never says whether the user exists.

    ``retry_after`` is the number of seconds until a throttled name may try again (None when
    the password was simply wrong), for a ``Retry-After`` header.
    """

    code = "login_refused"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TokenRejected(BulkpocError):
    """An API token name that cannot be created or revoked."""

    code = "token_rejected"


# --- passwords ----------------------------------------------------------------------------


def check_password(password: str) -> None:
    """Refuse a password too short to set (``PasswordRejected``), before anything is stored."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters; choose a longer one."
        )


def set_password(store: Store, name: str, password: str) -> None:
    """Give user ``name`` a new password, kept as an argon2 hash; the user may log in at once
    even if their name was throttled."""
    check_password(password)
    store.set_password_hash(name, _hasher.hash(password))
    store.clear_login_failures(name[:NAME_LENGTH])


def authenticate(store: Store, name: str, password: str, now: dt.datetime | None = None) -> User:
    """The user whose name and password these are, or ``LoginRefused``.

    After ``MAX_FAILED_LOGINS`` failures for a name within ``FAILURE_WINDOW``, that name is
    refused for ``LOCKOUT`` after the last one, right password or not. Unknown names are
    counted and verified (against a dummy hash) like known ones, so neither the reply nor its
    timing tells whether a user exists. ``now`` is naive UTC (default: the current time).
    """
    now = now or utcnow()
    key = name[:NAME_LENGTH]
    until = _locked_until(store, key, now)
    if until is not None:
        seconds = math.ceil((until - now).total_seconds())
        minutes = math.ceil(seconds / 60)
        unit = "minute" if minutes == 1 else "minutes"
        raise LoginRefused(
            f"Too many failed logins for this account; try again in {minutes} {unit}.",
            retry_after=seconds,
        )
    try:
        user: User | None = store.get_user(name)
    except UnknownUser:
        user = None
    stored = user.password_hash if user else None
    if user is None or stored is None or not _verifies(stored, password):
        if stored is None:
            _verifies(_dummy_hash(), password)  # the same work as for a real user
        store.record_login_failure(key, now, forget_before=now - FAILURE_WINDOW - LOCKOUT)
        raise LoginRefused(WRONG_LOGIN)
    store.clear_login_failures(key)
    if _hasher.check_needs_rehash(stored):
        store.set_password_hash(name, _hasher.hash(password))
        user = store.get_user(name)
    return user


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _locked_until(store: Store, key: str, now: dt.datetime) -> dt.datetime | None:
    """When ``key`` may try again, if its recent failures lock it out at ``now``."""
    recent = store.recent_login_failures(key, MAX_FAILED_LOGINS)
    if len(recent) < MAX_FAILED_LOGINS or recent[0] - recent[-1] > FAILURE_WINDOW:
        return None
    until = recent[0] + LOCKOUT
    return until if now < until else None


# --- API tokens ---------------------------------------------------------------------------


def create_token(store: Store, name: str, user_name: str) -> str:
    """A new API token called ``name`` that acts as ``user_name``. Only its SHA-256 is kept,
    so this is the one time anyone sees it."""
    if not name.strip() or len(name) > NAME_LENGTH:
        raise TokenRejected(f"A token name needs 1 to {NAME_LENGTH} characters.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if not store.add_token(name, user_name, _digest(token), utcnow()):
        raise TokenRejected(f"A token named {name!r} already exists; choose another name.")
    return token


def list_tokens(store: Store) -> list[TokenInfo]:
    """Every token's name, user, creation, last use and revocation, by name; never the token."""
    return store.tokens()


def revoke_token(store: Store, name: str) -> None:
    """Stop the token called ``name`` working, at once and for good."""
    if not store.revoke_token(name, utcnow()):
        raise TokenRejected(f"There is no API token named {name!r}.")


def user_for_token(store: Store, token: str, now: dt.datetime | None = None) -> User | None:
    """The user a token acts as; None when the token is unknown or revoked.

    Its last use is recorded at most once per ``LAST_USED_EVERY``, so most API calls only read.
    """
    owner = store.token_owner(_digest(token))
    if owner is None:
        return None
    now = now or utcnow()
    if owner.last_used_at is None or now - owner.last_used_at >= LAST_USED_EVERY:
        store.note_token_used(owner.token_id, now, unless_after=now - LAST_USED_EVERY)
    return store.get_user(owner.user)


def _digest(token: str) -> str:
    # surrogatepass: any str a caller hands over hashes, none raises.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- the session secret -------------------------------------------------------------------


def session_secret(store: Store) -> str:
    """The key that signs session cookies: made once, shared by every server process."""
    return store.shared_secret(SESSION_SECRET, lambda: secrets.token_urlsafe(48))


__all__ = [
    "LoginRefused",
    "PasswordRejected",
    "TokenInfo",
    "TokenRejected",
    "authenticate",
    "check_password",
    "create_token",
    "list_tokens",
    "revoke_token",
    "session_secret",
    "set_password",
    "user_for_token",
]
