"""Administration, API Tokens: create one (its secret is shown on the answer to the form and
never again: only its hash is kept), revoke one, and when each was last used. The same rules
as ``bulkpoc tokens`` (``services.auth``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response

from bulkpoc.domain.errors.types import BulkpocError
from bulkpoc.domain.users import User
from bulkpoc.services import auth
from bulkpoc.store.db import Store
from bulkpoc.web.admin_pages import Admin, admin_render, back_to, form_text
from bulkpoc.web.deps import get_store

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
NOTICES = {"revoked": "Token revoked: it no longer works, and its name stays taken."}


@router.get("/admin/tokens")
def tokens_page(request: Request, user: Admin, store: StoreDep) -> Response:
    return _page(request, user, store)


@router.post("/admin/tokens")
async def create_token(request: Request, user: Admin, store: StoreDep) -> Response:
    """Create the token and show it in this answer only (never cached)."""
    form = await request.form()
    typed = {"name": form_text(form, "name"), "user": form_text(form, "user")}
    try:
        secret = auth.create_token(store, typed["name"], typed["user"])
    except BulkpocError as refused:
        code = status.HTTP_400_BAD_REQUEST
        return _page(request, user, store, code, error=str(refused), typed=typed)
    return _page(request, user, store, created={"name": typed["name"], "secret": secret})


@router.post("/admin/tokens/revoke")
async def revoke_token(request: Request, user: Admin, store: StoreDep) -> Response:
    name = form_text(await request.form(), "name")
    try:
        auth.revoke_token(store, name)
    except BulkpocError as refused:
        return _page(request, user, store, status.HTTP_400_BAD_REQUEST, error=str(refused))
    return back_to("/admin/tokens", "revoked")


def _page(
    request: Request,
    user: User,
    store: Store,
    status_code: int = status.HTTP_200_OK,
    **shown: Any,
) -> Response:
    return admin_render(
        request,
        "admin_tokens.html",
        user,
        "tokens",
        status_code,
        tokens=auth.list_tokens(store),
        users=[each.name for each in store.list_users() if not each.disabled],
        typed=shown.pop("typed", None) or {},
        notices=NOTICES,
        **shown,
    )
