"""The FastAPI application: its state, middleware, templates and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bulkpoc import __version__
from bulkpoc.config import Settings, proxy_list
from bulkpoc.jobs.queue import ThreadQueue, queue_for
from bulkpoc.services.auth import session_secret
from bulkpoc.store.db import Store
from bulkpoc.web import api, api_apply, api_edits, api_fixes, api_undo, docs
from bulkpoc.web.access import check_declared
from bulkpoc.web.api import http_error
from bulkpoc.web.api_http import invalid_request, validation_sentence
from bulkpoc.web.csrf import CsrfProtection
from bulkpoc.web.deps import NotLoggedIn, current_user
from bulkpoc.web.routes import (
    account,
    admin_outbox,
    admin_schedules,
    admin_tokens,
    admin_users,
    apply,
    fixes,
    history,
    lists,
    manage,
    mapping_step,
    mass_edit,
    pocs,
    record_forms,
    records,
    results,
    undo,
)
from bulkpoc.web.security import SecurityHeaders
from bulkpoc.web.sessions import Sessions
from bulkpoc.web.templating import HERE, render


def create_app(settings: Settings | None = None, store: Store | None = None) -> ASGIApp:
    """The whole web application as one ASGI app (what ``bulkpoc serve`` runs)."""
    settings = settings or Settings.from_env()
    store = store or Store(settings.database_url)
    store.ensure_ready()
    secret = session_secret(store)

    app = build_app(settings, store)
    app.state.secret = secret
    # The last added runs first: proxy headers, then the session, then the CSRF check.
    app.add_middleware(CsrfProtection, key=secret)
    app.add_middleware(Sessions, store=store, settings=settings)
    if settings.trusted_proxies:  # the client's address and scheme, as the proxy saw them
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=proxy_list(settings.trusted_proxies)
        )
    return SecurityHeaders(app)


def build_app(settings: Settings, store: Store) -> FastAPI:
    """The pages and the API, with their error handlers: what ``create_app`` wraps in the
    session, CSRF and security-header middleware (tests read its routes)."""
    app = FastAPI(
        title="bulkpoc",
        version=__version__,
        summary="Manage contact-centre points of contact in bulk.",
        lifespan=_run_jobs,
        docs_url=None,  # bulkpoc.web.docs serves the schema and the docs page
        redoc_url=None,
        openapi_url=None,
    )
    app.state.store, app.state.settings = store, settings
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount(docs.ASSETS_URL, docs.assets(), name=docs.ASSETS_NAME)
    app.include_router(account.router)
    app.include_router(results.router)
    app.include_router(apply.router)
    app.include_router(fixes.router)
    app.include_router(history.router)
    app.include_router(manage.router)
    app.include_router(mapping_step.router)
    app.include_router(pocs.router)
    app.include_router(lists.router)
    app.include_router(mass_edit.router)
    # Before the records' pages: /numbers/new is a form, not the number 'new'.
    app.include_router(record_forms.router)
    app.include_router(records.router)
    app.include_router(undo.router)
    for admin in (admin_schedules, admin_users, admin_tokens, admin_outbox):
        app.include_router(admin.router)
    # Their routes are on the API's router, registered when they were imported.
    assert api_apply.router is api_undo.router is api_edits.router is api_fixes.router is api.router
    app.include_router(api.router)
    app.include_router(docs.router)
    app.add_exception_handler(NotLoggedIn, _to_login)
    app.add_exception_handler(StarletteHTTPException, _error_page)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    check_declared(app.routes)
    return app


@asynccontextmanager
async def _run_jobs(app: FastAPI) -> AsyncIterator[None]:
    """SQLite: batches run in a thread of this process. PostgreSQL: workers run them."""
    store, settings = app.state.store, app.state.settings
    if store.engine.dialect.name == "sqlite":
        runner = ThreadQueue(store, settings)
        runner.start()
        app.state.queue = runner
        try:
            yield
        finally:
            runner.stop()
    else:
        app.state.queue = queue_for(store, settings)
        yield


async def _to_login(request: Request, _error: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def _error_page(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if request.url.path.startswith("/api/"):
        return await http_error(request, error)
    message = error.detail
    if error.status_code == status.HTTP_404_NOT_FOUND and message == "Not Found":
        message = f"There is no page at {request.url.path}."
    return _error(request, error.status_code, message)


async def _invalid_request(request: Request, error: Exception) -> Response:
    """A request a route cannot take (a missing form field…): JSON under /api/, and
    elsewhere an HTML page saying what was wrong in one sentence, never FastAPI's JSON."""
    if request.url.path.startswith("/api/"):
        return await invalid_request(request, error)
    assert isinstance(error, RequestValidationError)
    return _error(request, status.HTTP_400_BAD_REQUEST, validation_sentence(error.errors()))


def _error(request: Request, status_code: int, message: str) -> Response:
    """The error page, with the navigation when someone is logged in."""
    try:
        user = current_user(request)
    except NotLoggedIn:
        user = None
    return render(
        request, "error.html", status_code, user=user, message=message, status=status_code
    )
