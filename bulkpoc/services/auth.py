"""Who is asking: passwords, login throttling, API tokens and the session secret.

Logins are throttled by the name typed and by the client's address: a name with
``MAX_FAILED_LOGINS`` recent failures is locked (its sessions end), unless the browser proves
it logged in as that name before (a known device, which the web layer recognises); an address
with ``MAX_FAILED_PER_ADDRESS`` recent failures is refused whatever the name.

A library for the web pages, the API and the CLI alike; it knows nothing of HTTP. Every piece
of state (failed logins, tokens, the secret) lives in the store, so several server processes
behind a load balancer agree on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
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
MAX_FAILED_PER_ADDRESS = 10  # …or from one address (any names)…
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)  # …refuse it for this long after the last of them
IPV6_PREFIX = 64  # one client's IPv6 addresses: its network, which it may freely change within
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
    """Give user ``name`` a new password, kept as an argon2 hash; their sessions end, and the
    user may log in at once even if their name was throttled."""
    check_password(password)
    store.set_password_hash(name, _hasher.hash(password))
    store.end_user_sessions(name)
    store.clear_login_failures(name[:NAME_LENGTH])


def authenticate(
    store: Store,
    name: str,
    password: str,
    now: dt.datetime | None = None,
    client: str | None = None,
    known_device: bool = False,
) -> User:
    """The user whose name and password these are, or ``LoginRefused``.

    After ``MAX_FAILED_PER_ADDRESS`` failures from ``client`` (a ``client_key``) within
    ``FAILURE_WINDOW``, that client is refused for ``LOCKOUT`` after the last one, whatever the
    name. After ``MAX_FAILED_LOGINS`` failures for a name, that name is refused likewise, right
    password or not, and its sessions end, unless the client is a ``known_device`` of it (it
    logged in as that name before). Unknown names are counted and verified (against a dummy
    hash) like known ones, so neither the reply nor its timing tells whether a user exists; a
    disabled user is refused as a wrong password is. ``now`` is naive UTC (default: now).
    """
    now = now or utcnow()
    key = name[:NAME_LENGTH]
    if client is not None:
        recent = store.recent_failures_from(client, MAX_FAILED_PER_ADDRESS)
        _refuse_until(_throttled_until(recent, MAX_FAILED_PER_ADDRESS, now), now, "address")
    if not known_device:
        _refuse_until(_locked_until(store, key, now), now, "account")
    try:
        user: User | None = store.get_user(name)
    except UnknownUser:
        user = None
    stored = user.password_hash if user and not user.disabled else None
    if stored is None or not _verifies(stored, password):
        if stored is None:
            _verifies(_dummy_hash(), password)  # the same work as for a real user
        _record_failure(store, key, now, client)
        raise LoginRefused(WRONG_LOGIN)
    assert user is not None
    store.clear_login_failures(key)
    if _hasher.check_needs_rehash(stored):
        store.set_password_hash(name, _hasher.hash(password))
        user = store.get_user(name)
    return user


def client_key(address: str) -> str:
    """What failures from one client are counted under: its address, or for IPv6 its /64
    network (one machine may hold a whole one)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def _record_failure(store: Store, key: str, now: dt.datetime, client: str | None) -> None:
    """Count a failure; when it locks the name, end the name's sessions (someone is guessing
    its password: a session they may have won ends too)."""
    store.record_login_failure(
        key, now, forget_before=now - FAILURE_WINDOW - LOCKOUT, client=client
    )
    if _locked_until(store, key, now) is not None:
        store.end_user_sessions(key)


def _refuse_until(until: dt.datetime | None, now: dt.datetime, what: str) -> None:
    """``LoginRefused`` with the wait in minutes and a ``retry_after`` in seconds, if throttled."""
    if until is None:
        return
    seconds = math.ceil((until - now).total_seconds())
    minutes = math.ceil(seconds / 60)
    unit = "minute" if minutes == 1 else "minutes"
    where = "for this account" if what == "account" else "from your address"
    raise LoginRefused(
        f"Too many failed logins {where}; try again in {minutes} {unit}.", retry_after=seconds
    )


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def locked_until(store: Store, name: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """Until when failed logins lock ``name`` (naive UTC); None when it is not locked."""
    return _locked_until(store, name[:NAME_LENGTH], now or utcnow())


def unlock(store: Store, name: str) -> None:
    """Lift the lock failed logins left on ``name`` (``UnknownUser`` if there is none), as
    setting a password does, without changing the password."""
    store.get_user(name)
    store.clear_login_failures(name[:NAME_LENGTH])


def _locked_until(store: Store, key: str, now: dt.datetime) -> dt.datetime | None:
    """When ``key`` may try again, if its recent failures lock it out at ``now``."""
    recent = store.recent_login_failures(key, MAX_FAILED_LOGINS)
    return _throttled_until(recent, MAX_FAILED_LOGINS, now)


def _throttled_until(recent: list[dt.datetime], most: int, now: dt.datetime) -> dt.datetime | None:
    """When a name or client may try again, given its newest ``most`` failures (newest first),
    if they fall within ``FAILURE_WINDOW`` and the ``LOCKOUT`` after the last is not over."""
    if len(recent) < most or recent[0] - recent[-1] > FAILURE_WINDOW:
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
    """The user a token acts as; None when the token is unknown or revoked, or its user
    disabled.

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
    "client_key",
    "create_token",
    "list_tokens",
    "locked_until",
    "revoke_token",
    "session_secret",
    "set_password",
    "unlock",
    "user_for_token",
]
