"""Administration, Users: add a user, grant and take away permissions, set an email address,
reset a password, lift a lock left by failed logins.

The same rules as ``bulkpoc users`` (``services.users``, ``services.auth``): taking a
permission away or setting a password ends that user's web sessions at once.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response

from bulkpoc.domain.errors.types import BulkpocError, UnknownUser
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.users import User
from bulkpoc.services import auth
from bulkpoc.services import users as service
from bulkpoc.store.db import Store
from bulkpoc.web.admin_pages import Admin, admin_render, back_to, form_text, form_values
from bulkpoc.web.deps import get_store

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
DIFFERENT = "The two passwords differ; type the same one twice."
NOTICES = {
    "added": "User saved.",
    "permissions": "Permissions saved. If any was taken away, their sessions have ended.",
    "email": "Email address saved.",
    "password": "Password set; their sessions have ended and any lock is lifted.",
    "unlocked": "Lock lifted: they may log in again at once.",
    "unchanged": "Nothing to change: they already held exactly those permissions.",
}


@router.get("/admin/users")
def users_page(request: Request, user: Admin, store: StoreDep) -> Response:
    return _list(request, user, store)


@router.post("/admin/users")
async def add_user(request: Request, user: Admin, store: StoreDep) -> Response:
    form = await request.form()
    name, email = form_text(form, "name"), form_text(form, "email")
    permissions = form_values(form, "permission")
    typed = {"name": name, "email": email, "permissions": permissions}
    sent = form.get("password")
    password = sent if isinstance(sent, str) and sent else None
    try:
        if password is not None and password != form.get("password_again"):
            raise service.UserRejected(DIFFERENT)
        added = service.add_user(store, name, permissions, email or None, password)
    except BulkpocError as refused:
        code = status.HTTP_400_BAD_REQUEST
        return _list(request, user, store, code, error=str(refused), typed=typed)
    return back_to(_path(added.name), "added")


@router.get("/admin/users/{name:path}")
def user_page(request: Request, user: Admin, store: StoreDep, name: str) -> Response:
    return _one(request, user, store, _found(store, name))


@router.post("/admin/users/{name:path}/permissions")
async def set_permissions(request: Request, user: Admin, store: StoreDep, name: str) -> Response:
    chosen = _found(store, name)
    wanted = form_values(await request.form(), "permission")
    try:
        change = service.set_permissions(store, chosen.name, wanted, by=user.name)
    except BulkpocError as refused:
        return _one(request, user, store, chosen, status.HTTP_400_BAD_REQUEST, error=str(refused))
    changed = change.granted or change.revoked
    return back_to(_path(chosen.name), "permissions" if changed else "unchanged")


@router.post("/admin/users/{name:path}/email")
async def set_email(request: Request, user: Admin, store: StoreDep, name: str) -> Response:
    chosen = _found(store, name)
    address = form_text(await request.form(), "email")
    try:
        service.set_email(store, chosen.name, address)
    except BulkpocError as refused:
        return _one(request, user, store, chosen, status.HTTP_400_BAD_REQUEST, error=str(refused))
    return back_to(_path(chosen.name), "email")


@router.post("/admin/users/{name:path}/password")
async def reset_password(request: Request, user: Admin, store: StoreDep, name: str) -> Response:
    chosen = _found(store, name)
    form = await request.form()
    password, again = form.get("password"), form.get("password_again")
    try:
        if not isinstance(password, str) or password != again:
            raise service.UserRejected(DIFFERENT)
        auth.set_password(store, chosen.name, password)
    except BulkpocError as refused:
        return _one(request, user, store, chosen, status.HTTP_400_BAD_REQUEST, error=str(refused))
    return back_to(_path(chosen.name), "password")


@router.post("/admin/users/{name:path}/unlock")
def unlock(_user: Admin, store: StoreDep, name: str) -> Response:
    chosen = _found(store, name)
    auth.unlock(store, chosen.name)
    return back_to(_path(chosen.name), "unlocked")


# --- the pages ----------------------------------------------------------------------------


def _list(
    request: Request,
    user: User,
    store: Store,
    status_code: int = status.HTTP_200_OK,
    **shown: Any,
) -> Response:
    everyone = store.list_users()
    return admin_render(
        request,
        "admin_users.html",
        user,
        "users",
        status_code,
        users=[(each, auth.locked_until(store, each.name)) for each in everyone],
        permissions=PERMISSIONS,
        typed=shown.pop("typed", None) or {"permissions": []},
        notices=NOTICES,
        **shown,
    )


def _one(
    request: Request,
    user: User,
    store: Store,
    chosen: User,
    status_code: int = status.HTTP_200_OK,
    **shown: Any,
) -> Response:
    return admin_render(
        request,
        "admin_user.html",
        user,
        "users",
        status_code,
        chosen=store.get_user(chosen.name),
        locked_until=auth.locked_until(store, chosen.name),
        tokens=[token for token in auth.list_tokens(store) if token.user == chosen.name],
        permissions=PERMISSIONS,
        min_password=auth.MIN_PASSWORD_LENGTH,
        notices=NOTICES,
        **shown,
    )


def _found(store: Store, name: str) -> User:
    try:
        return store.get_user(name)
    except UnknownUser:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"There is no user {name!r}.") from None


def _path(name: str) -> str:
    return f"/admin/users/{quote(name)}"
