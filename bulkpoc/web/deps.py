"""Who is asking, and may they: the session's user for pages, the bearer token's for the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bulkpoc.config import Settings
from bulkpoc.domain.errors.codes import DOWNLOAD_NOT_PERMITTED, UPLOAD_NOT_PERMITTED, ErrorType
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.users import User
from bulkpoc.services.auth import user_for_token
from bulkpoc.store.db import Store
from bulkpoc.web.sessions import SCOPE_KEY


class NotLoggedIn(Exception):
    """A page needs a logged-in user; the app answers with a redirect to the login page."""


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def current_user(request: Request) -> User:
    """The user of the session cookie's live session; a page without one redirects to the
    login."""
    session = request.scope.get(SCOPE_KEY)
    if session is None or session.user is None:
        raise NotLoggedIn
    return session.user  # type: ignore[no-any-return]


# Declares the bearer scheme in the OpenAPI schema; api_user answers 401 itself, in a sentence.
bearer_token = HTTPBearer(
    auto_error=False,
    scheme_name="APIToken",
    description="An API token: an administrator creates one with "
    "`bulkpoc tokens create NAME --as USER`; the API acts with that user's permissions.",
)


def api_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_token)],
) -> User:
    """The user of the ``Authorization: Bearer TOKEN`` header."""
    user = user_for_token(get_store(request), credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Send a valid API token as 'Authorization: Bearer TOKEN' "
            "(an administrator creates one with `bulkpoc tokens create`).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


# What a user does with a record type's files; each takes the record type's permission.
UPLOAD, DOWNLOAD = UPLOAD_NOT_PERMITTED, DOWNLOAD_NOT_PERMITTED


def record_refusal(user: User, rtype: RecordType, action: ErrorType) -> str | None:
    """Why ``user`` may not upload (``UPLOAD``) or download (``DOWNLOAD``) ``rtype``'s files,
    in one sentence naming the permission; None when they may.

    Both take the record type's permission, on the pages and in the API alike: the vendor's
    Manage Multiple page, where Download Template and Download Existing live, requires it.
    """
    if rtype.permission in user.permissions:
        return None
    return action.message(user=user.name, plural=rtype.plural, permission=rtype.permission)


def no_email_address(user: User) -> str:
    """Why results cannot be emailed to ``user``, and how to fix it, in one sentence."""
    return (
        f"{user.name} has no email address in the store to send the results to; an "
        f"administrator can set one with `bulkpoc users email {user.name} ADDRESS`."
    )
