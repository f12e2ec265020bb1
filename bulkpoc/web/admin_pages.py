"""What the Administration pages share: who may open them, how they render, and how an
action's outcome is shown after the redirect back to the page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response

from bulkpoc.domain.permissions import USERS_MANAGE
from bulkpoc.domain.users import User
from bulkpoc.web.access import page, permission
from bulkpoc.web.templating import render

Admin = Annotated[User, page(permission(USERS_MANAGE))]

SECTIONS = {
    "schedules": "Schedules",
    "users": "Users",
    "tokens": "API Tokens",
    "outbox": "Outbox",
}


def admin_render(
    request: Request,
    template: str,
    user: User,
    section: str,
    status_code: int = status.HTTP_200_OK,
    notices: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """An Administration page, never cached (it can show a secret or a form's values).
    ``notices`` are the sentences its actions' ``?done=`` may name."""
    response = render(
        request,
        template,
        status_code,
        user=user,
        sections=SECTIONS,
        section=section,
        done=done_sentence(notices or {}, request.query_params.get("done")),
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def done_sentence(notices: dict[str, str], key: str | None) -> str | None:
    """The sentence for an action's outcome named in the URL (``?done=email``): only the
    page's own sentences, so a link cannot make a page say something else."""
    return notices.get(key) if key else None


def back_to(path: str, done: str) -> Response:
    """After an action: back to the page (303), which says what was done."""
    return RedirectResponse(f"{path}?done={done}", status_code=status.HTTP_303_SEE_OTHER)


def form_text(form: Any, name: str) -> str:
    """A text field of a submitted form, stripped; "" when it was not sent or is a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def form_values(form: Any, name: str) -> list[str]:
    """Every value sent for a repeated field (ticked checkboxes), files left out."""
    return [value for value in form.getlist(name) if isinstance(value, str)]
