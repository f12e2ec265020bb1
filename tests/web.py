"""Shared helpers for the web tests: an app on the test's store, a client logged in to it
through the real login form, as a browser would (CSRF token from the page), and a partner's
client of the API with its token.

On SQLite the app runs each submitted batch in a thread of its own; on PostgreSQL a batch waits
for a worker, which ``run_workers`` starts for real (``bulkpoc worker --until-empty``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response

from bulkpoc.config import Settings
from bulkpoc.services.auth import set_password
from bulkpoc.store.db import Store
from bulkpoc.web.app import create_app

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')


def client_for(store: Store, settings: Settings) -> TestClient:
    """A browser on the app, not logged in (the app's lifespan, and so its job runner, does
    not start: the tests run their batches themselves)."""
    return TestClient(create_app(settings, store), follow_redirects=False)


def csrf_token(client: TestClient, page: str = "/login") -> str:
    """The CSRF token a form on ``page`` carries."""
    found = CSRF_FIELD.search(client.get(page).text)
    assert found, f"{page} has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, store: Store, name: str = "admin") -> TestClient:
    """Give ``name`` a password and log in with it through the login form."""
    set_password(store, name, PASSWORD)
    response = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "next": "/", "csrftoken": csrf_token(client)},
    )
    assert response.status_code == 303, response.text
    return client


def logged_in(store: Store, settings: Settings, name: str = "admin") -> TestClient:
    return log_in(client_for(store, settings), store, name)


# --- reading a page ------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    """An element of a page: enough of a DOM to find things by id, class or tag."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text, whitespace collapsed, as a screen reader would read it."""
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join(" ".join(parts).split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self, tag: str | None = None, class_: str | None = None) -> list[Element]:
        """Every descendant with ``tag`` and ``class_`` (either optional), in page order."""
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if (tag is None or child.tag == tag) and (
                    class_ is None or class_ in child.classes
                ):
                    found.append(child)
                found.extend(child.all(tag, class_))
        return found

    def by_id(self, element_id: str) -> Element:
        for element in self.all():
            if element.attrs.get("id") == element_id:
                return element
        raise AssertionError(f"no element with id {element_id!r}")

    def has_id(self, element_id: str) -> bool:
        return any(element.attrs.get("id") == element_id for element in self.all())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def page(html: str) -> Element:
    """A page's elements, to find things by id and class rather than by regular expression."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# --- the API, as a partner system uses it -------------------------------------------------

PATIENCE = 120  # seconds a test waits for a batch; a bound against hanging, not a speed test


@contextmanager
def api_client(store: Store, settings: Settings, token: str | None = None) -> Iterator[TestClient]:
    """A client of the whole app (lifespan and job runner too), sending ``token`` as a bearer
    token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(create_app(settings, store), headers=headers) as client:
        yield client


def run_workers(store: Store, settings: Settings) -> None:
    """PostgreSQL: run the queued batches in a real worker process. SQLite: the app does."""
    if store.engine.dialect.name != "postgresql":
        return
    env = {
        **os.environ,
        "BULKPOC_REPORT_DIR": str(settings.report_dir),
        "BULKPOC_OUTBOX_DIR": str(settings.outbox_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bulkpoc", "--db", store.url, "worker", "--until-empty"],
        capture_output=True,
        text=True,
        env=env,
        timeout=PATIENCE,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def poll_until_finished(client: TestClient, batch_id: int) -> list[dict]:
    """Poll the batch's progress as a partner would; every answer, the last one finished."""
    seen = []
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/batches/{batch_id}/progress")
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if seen[-1]["finished"]:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish: {seen[-1]}")


def processed(
    client: TestClient, store: Store, settings: Settings, *answers: Response, status: int = 202
) -> list[dict]:
    """The results of the batches API calls accepted (``answers``, each ``status``), once
    they have run."""
    for answer in answers:
        assert answer.status_code == status, answer.text
    run_workers(store, settings)
    results = []
    for answer in answers:
        poll_until_finished(client, answer.json()["batch_id"])
        result = client.get(answer.headers["location"])
        assert result.status_code == 200, result.text
        results.append(result.json())
    return results


def finished(
    client: TestClient, store: Store, settings: Settings, answer: Response, status: int = 202
) -> dict:
    """The result of the batch an API call accepted (``answer``, ``status``), once it has run."""
    return processed(client, store, settings, answer, status=status)[0]


def one_sentence(response: Response) -> str:
    """An API refusal's detail, checked to be one sentence."""
    detail = response.json()["detail"]
    assert isinstance(detail, str), detail
    assert detail.endswith("."), detail
    assert "\n" not in detail, detail
    return detail


def pressed(
    client: TestClient, store: Store, settings: Settings, action: str, **fields: str
) -> int:
    """Send a form that starts a batch (a fix, an undo) as a browser does; the batch the app
    went to, once it has run."""
    token = csrf_token(client, "/history")
    answer = client.post(action, data={"csrftoken": token, **fields}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    run_workers(store, settings)
    batch_id = int(answer.headers["location"].rsplit("/", 1)[1])
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if store.batch(batch_id)["status"] not in ("queued", "running"):
            return batch_id
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish")
