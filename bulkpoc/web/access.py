"""Who may use each route. Every route declares what it needs (a ``Needs``) where it is
defined, through ``page(needs)`` (the user of the session) or ``api(needs)`` (the user of the
API token), and the same object checks it on every request. ``check_declared`` refuses to
build an app that has a route declaring nothing, so a route added later cannot be forgotten.

A route needs nothing, a login, or a record type's permission, the one that uploading and
downloading that type take (README, Permissions): whatever shows a record type's data, its
records or the rows of its batches, takes that type's permission. The Administration pages
need a permission of their own (``permission(USERS_MANAGE)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bulkpoc.domain.errors.codes import ErrorType
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.domain.records import RECORD_TYPES
from bulkpoc.domain.records.base import RecordType
from bulkpoc.domain.users import User
from bulkpoc.store import schema
from bulkpoc.web.deps import NotLoggedIn, api_user, bearer_token, current_user, get_store

Kind = Literal[
    "nothing",
    "login",
    "record type",
    "type in path",
    "collection in path",
    "batch in path",
    "type in form",
    "permission",
]
# The API's name of each record type's records in a path: pocs, skills, chat-profiles…
COLLECTIONS: dict[str, RecordType] = {f"{name}s": rtype for name, rtype in RECORD_TYPES.items()}


@dataclass(frozen=True)
class Needs:
    """What a route needs of whoever asks. ``name`` is the record type (``record type``), or
    the path parameter that names one (``type in path``) or a batch (``batch in path``), or
    the form field that names one (``type in form``: the route checks it with ``refuse``
    once it has read the form). ``action`` words the refusal (upload, download); by default
    it says the user may not see the type's data."""

    kind: Kind
    name: str = ""
    action: ErrorType | None = None

    def record_type(self, request: Request) -> RecordType | None:
        """The record type whose permission this request needs; None when a login is enough.
        A path naming no record type, or no batch, answers 404: there is nothing to show."""
        if self.kind == "record type":
            return RECORD_TYPES[self.name]
        if self.kind == "type in path":
            return type_named(str(request.path_params[self.name]))
        if self.kind == "collection in path":
            return type_of_collection(str(request.path_params[self.name]))
        if self.kind == "batch in path":
            return _type_of_batch(request, request.path_params[self.name])
        return None

    def check(self, request: Request, user: User) -> None:
        """HTTP 403 unless ``user`` holds what this request needs (404 as ``record_type``)."""
        if self.kind == "permission":
            if self.name not in user.permissions:
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    f"{user.name} may not open the Administration pages: they need the "
                    f"'{self.name}' permission.",
                )
            return
        rtype = self.record_type(request)
        if rtype is not None:
            self.refuse(user, rtype)

    def refuse(self, user: User, rtype: RecordType) -> None:
        """HTTP 403, in one sentence naming the permission, unless ``user`` holds it."""
        if rtype.permission in user.permissions:
            return
        if self.action is not None:
            sentence = self.action.message(
                user=user.name, plural=rtype.plural, permission=rtype.permission
            )
        else:
            sentence = (
                f"{user.name} may not see {rtype.plural.lower()}: it needs the "
                f"'{rtype.permission}' permission."
            )
        raise HTTPException(status.HTTP_403_FORBIDDEN, sentence)


PUBLIC = Needs("nothing")
LOGIN = Needs("login")


def permission_of(record_type: str) -> Needs:
    """The permission of ``record_type`` (a page that shows its records)."""
    assert record_type in RECORD_TYPES, record_type
    return Needs("record type", record_type)


def type_in_path(param: str, action: ErrorType | None = None) -> Needs:
    """The permission of the record type the path parameter ``param`` names."""
    return Needs("type in path", param, action)


def collection_in_path(param: str) -> Needs:
    """The permission of the record type whose collection (``pocs``) ``param`` names."""
    return Needs("collection in path", param)


def batch_in_path(param: str = "batch_id") -> Needs:
    """The permission of the record type of the batch whose id is the path parameter
    ``param``: a batch's rows are its record type's data."""
    return Needs("batch in path", param)


def type_in_form(field: str, action: ErrorType) -> Needs:
    """The permission of the record type the form field ``field`` names, which the route
    checks (``Needs.refuse``) once it has read the form."""
    return Needs("type in form", field, action)


def permission(name: str) -> Needs:
    """A permission that is no record type's: ``USERS_MANAGE`` for the Administration pages."""
    assert name in PERMISSIONS, name
    return Needs("permission", name)


def type_named(name: str) -> RecordType:
    if name not in RECORD_TYPES:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"There is no record type {name!r}; choose from {', '.join(RECORD_TYPES)}.",
        )
    return RECORD_TYPES[name]


def type_of_collection(name: str) -> RecordType:
    if name not in COLLECTIONS:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"There is no record type {name!r}; choose from {', '.join(COLLECTIONS)}.",
        )
    return COLLECTIONS[name]


def _type_of_batch(request: Request, value: Any) -> RecordType | None:
    """The record type of the batch; None for an id no batch can have, which the route's
    own validation refuses (422) before it reads anything."""
    try:
        batch_id = int(value)
    except ValueError:
        return None
    if not 1 <= batch_id <= schema.MAX_ID:
        return None
    batch = get_store(request).batch(batch_id)
    if batch is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"There is no batch {batch_id}.")
    return RECORD_TYPES[batch["record_type"]]


# --- the guards: a dependency per route that finds the user and checks the Needs -----------


class PageGuard:
    """A page's guard: the user of the session (without one, the login page), then ``needs``.
    A public page gets the user when someone is logged in, else None."""

    def __init__(self, needs: Needs) -> None:
        self.needs = needs

    def __call__(self, request: Request) -> User | None:
        if self.needs.kind == "nothing":
            try:
                return current_user(request)
            except NotLoggedIn:
                return None
        user = current_user(request)
        self.needs.check(request, user)
        return user


class ApiGuard:
    """An API route's guard: the user of the bearer token (without one, 401), then ``needs``."""

    def __init__(self, needs: Needs) -> None:
        self.needs = needs

    def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_token)],
    ) -> User | None:
        if self.needs.kind == "nothing":
            return None
        user = api_user(request, credentials)
        self.needs.check(request, user)
        return user


def page(needs: Needs) -> Any:
    """A page's declaration: ``user: Annotated[User, page(LOGIN)]``, or in the route's
    ``dependencies`` when it needs no user."""
    return Depends(PageGuard(needs))


def api(needs: Needs) -> Any:
    """An API route's declaration, as ``page`` for pages."""
    return Depends(ApiGuard(needs))


# --- every route declares ------------------------------------------------------------------


def declared(route: Any) -> Needs | None:
    """What ``route`` declares it needs; static files need nothing; None if it declares
    nothing (or two different things)."""
    original = getattr(route, "original_route", route)
    if isinstance(original, Mount) and isinstance(original.app, StaticFiles):
        return PUBLIC
    if not isinstance(original, APIRoute):
        return None
    found = {guard.needs for guard in _guards(route.dependant)}
    return found.pop() if len(found) == 1 else None


def _guards(dependant: Dependant) -> Iterable[PageGuard | ApiGuard]:
    if isinstance(dependant.call, PageGuard | ApiGuard):
        yield dependant.call
    for dependency in dependant.dependencies:
        yield from _guards(dependency)


def routes(app_routes: Iterable[BaseRoute]) -> list[Any]:
    """Every route of the app, routers included (FastAPI's route contexts)."""
    return list(iter_route_contexts(list(app_routes)))


def check_declared(app_routes: Iterable[BaseRoute]) -> None:
    """Refuse an app with a route that does not declare, once, what it needs."""
    undeclared = [
        f"{' '.join(sorted(getattr(route, 'methods', None) or ['*']))} {route.path}"
        for route in routes(app_routes)
        if declared(route) is None
    ]
    if undeclared:
        raise RuntimeError(
            f"Routes that do not declare what they need (bulkpoc.web.access): "
            f"{', '.join(undeclared)}."
        )
