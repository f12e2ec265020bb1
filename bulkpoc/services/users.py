"""What an administrator does to a user: add one, set their email address, grant and take
away permissions. ``bulkpoc users`` and the Users page both call these, so both keep the
same rules; passwords, locks and tokens are ``services.auth``'s."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.permissions import USERS_MANAGE
from bulkpoc.domain.schedule import BadSchedule, check_email
from bulkpoc.domain.users import User
from bulkpoc.services.auth import NAME_LENGTH, check_password, set_password
from bulkpoc.store.accounts import check_permissions
from bulkpoc.store.db import Store


class UserRejected(BulkpocError):
    """A user, an address or a change of permissions that cannot be kept as given."""

    code = "user_rejected"


@dataclass(frozen=True)
class PermissionChange:
    """What ``set_permissions`` granted and took away, each sorted."""

    granted: list[str]
    revoked: list[str]


def add_user(
    store: Store,
    name: str,
    permissions: Iterable[str],
    email: str | None = None,
    password: str | None = None,
) -> User:
    """Create the user, or grant more permissions (and an email address) to an existing one;
    with ``password``, set it too. Everything is checked before anything is written."""
    if not name.strip() or len(name) > NAME_LENGTH or name != name.strip():
        raise UserRejected(
            f"A user name needs 1 to {NAME_LENGTH} characters, without spaces around it."
        )
    wanted = list(permissions)
    check_permissions(wanted)
    if email is not None:
        check_address(email)
    if password is not None:
        check_password(password)
    user = store.add_user(name, wanted, email=email)
    if password is not None:
        set_password(store, name, password)
        user = store.get_user(name)
    return user


def set_email(store: Store, name: str, address: str) -> User:
    """Send ``name``'s results to ``address`` from now on (``UnknownUser`` if no such user)."""
    check_address(address)
    user = store.get_user(name)
    return store.add_user(name, user.permissions, email=address)


def set_permissions(store: Store, name: str, wanted: Iterable[str], by: str) -> PermissionChange:
    """Give ``name`` exactly ``wanted``: grant what they lack, take away the rest (which ends
    their web sessions, ``Store.revoke_permissions``). ``by``, the administrator, may not take
    ``Users Manage`` from themselves: nobody could give it back from the browser."""
    wanted_set = set(wanted)
    check_permissions(wanted_set)
    held = store.get_user(name).permissions
    granted, revoked = sorted(wanted_set - held), sorted(held - wanted_set)
    if name == by and USERS_MANAGE in revoked:
        raise UserRejected(
            f"You cannot take '{USERS_MANAGE}' away from yourself; another administrator can "
            f'(or `bulkpoc users revoke {name} --permission "{USERS_MANAGE}"`).'
        )
    if granted:
        store.add_user(name, granted)
    if revoked:
        store.revoke_permissions(name, revoked)
    return PermissionChange(granted, revoked)


def check_address(address: str) -> None:
    """``UserRejected`` in one sentence unless ``address`` is an email address."""
    try:
        check_email(address)
    except BadSchedule as error:
        raise UserRejected(str(error)) from None
