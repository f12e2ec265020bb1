"""Issue 22 #3: every page and API route checks what it needs, from the app's own route table.

tests/routes.py gives each route a sample request and what it needs. The table must name
every route of the app (so a route added later is tried too); then each sample is sent
without login, as a user lacking each permission in turn, and as a user with every one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bulkpoc.batch.submit import run_import
from bulkpoc.config import Settings
from bulkpoc.domain.mapping import ColumnMapping
from bulkpoc.domain.options import ImportOptions
from bulkpoc.domain.permissions import PERMISSIONS
from bulkpoc.services.auth import create_token
from bulkpoc.store.db import Store
from bulkpoc.web import access
from bulkpoc.web.app import build_app
from tests.routes import JSON_BODIES, LOGIN, PUBLIC, ROUTES, SAMPLE_MAPPING, Sample
from tests.web import api_client, client_for, csrf_token, log_in, page

SAMPLES = Path(__file__).resolve().parent.parent / "sample_files"
FILES = {"poc": SAMPLES / "new-pocs.csv", "skill": SAMPLES / "skills.csv"}
EVERYONE = "admin"  # every permission
LACKING = {permission: f"without-{number}" for number, permission in enumerate(PERMISSIONS)}


def test_the_table_names_every_route_of_the_app_and_no_other(store: Store, settings: Settings):
    app = build_app(settings, store)
    in_app = {
        (method, route.path)
        for route in access.routes(app.routes)
        for method in (route.methods or {"GET"}) - {"HEAD"}
    }
    assert in_app == {(route.method, route.path) for route in ROUTES}


def test_an_app_with_a_route_that_declares_nothing_is_refused() -> None:
    app = FastAPI()
    app.get("/declared", dependencies=[access.page(access.LOGIN)])(lambda: "")
    app.get("/forgotten")(lambda: "")
    with pytest.raises(RuntimeError, match=r"declare what they need.*GET /forgotten\.$"):
        access.check_declared(app.routes)


@pytest.fixture
def batches(store: Store, settings: Settings, tmp_path: Path) -> dict[str, int]:
    """A finished POC batch and a skill batch, each with failed rows and a results email."""
    skills = tmp_path / "skills.csv"
    skills.write_text("Name,Media Type\nBroken Skill,Carrier Pigeon\nGood Skill,Email\n")
    ids = {}
    for name, path in (("poc", SAMPLES / "pocs-with-mistakes.csv"), ("skill", skills)):
        options = ImportOptions(record_type=name, notify=("admin@example.com",))
        result = run_import(store, path, options, settings)  # type: ignore[arg-type]
        assert result.counts.failed, result
        assert result.reports.email, result
        assert result.batch_id, result
        ids[f"{name}_batch"] = result.batch_id
    mapping = ColumnMapping(record_type="poc", columns={"Name": "Queue Name"})
    store.save_mapping(SAMPLE_MAPPING, mapping, "admin")
    return ids


@contextmanager
def clients(store: Store, settings: Settings, user: str | None) -> Iterator[dict[str, TestClient]]:
    """A browser logged in as ``user`` and a partner with a token of ``user`` (neither when
    ``user`` is None)."""
    token = create_token(store, f"token-of-{user}", user) if user else None
    with client_for(store, settings) as browser, api_client(store, settings, token) as partner:
        if user:
            log_in(browser, store, user)
        yield {"page": browser, "api": partner}


def send(
    clients: dict[str, TestClient],
    method: str,
    sample: Sample,
    ids: dict[str, int],
    headers: dict[str, str] | None = None,
):
    url = sample.url.format(**ids)
    client = clients["api" if url.startswith("/api/v1/") and "openapi" not in url else "page"]
    data: dict[str, str] = {}
    files = None
    if sample.body in FILES:
        files = {"file": (FILES[sample.body].name, FILES[sample.body].read_bytes())}
        data = {"file_type": "csv", "rows": "all", "dry_run": "on"}
        if client is clients["api"]:
            data = {"record_type": sample.body, "dry_run": "true"}
    elif sample.body == "login":
        data = {"name": "nobody", "password": "not the password", "next": "/"}
    elif sample.body in JSON_BODIES:
        return client.request(method, url, json=JSON_BODIES[sample.body], headers=headers)
    if method == "POST" and client is clients["page"]:
        data["csrftoken"] = csrf_token(client)
    return client.request(method, url, data=data or None, files=files, headers=headers)


def refused(response, sample: Sample, logged_in: bool) -> bool:
    """Whether the answer is the refusal ``sample`` should get: a login (page) or a token
    (API), or the permission."""
    if not logged_in:
        if sample.url.startswith("/api/v1/") and "openapi" not in sample.url:
            return response.status_code == 401
        location = response.headers.get("location", "")
        return response.status_code == 303 and location.startswith("/login?next=")
    return response.status_code == 403 and sample.needs in response.text


def outcome(response) -> str:
    return f"{response.status_code} {response.headers.get('location', '')}{response.text[:200]}"


def _check(clients, ids, user: str | None, lacking: str | None) -> list[str]:
    wrong = []
    for route in ROUTES:
        for sample in route.samples:
            if sample.needs == PUBLIC and user is not None:
                continue  # a public route answers anyone alike: tried without login
            response = send(clients, route.method, sample, ids)
            should_refuse = user is None and sample.needs != PUBLIC
            should_refuse |= sample.needs not in (PUBLIC, LOGIN) and sample.needs == lacking
            if should_refuse and not refused(response, sample, user is not None):
                wrong.append(f"{route.method} {sample.url} answered {outcome(response)}")
            if not should_refuse and response.status_code != sample.answers:
                wrong.append(
                    f"{route.method} {sample.url} should answer {sample.answers}: "
                    f"{outcome(response)}"
                )
    return wrong


def test_every_route_refuses_a_visitor_who_is_not_logged_in(store, settings, batches):
    with clients(store, settings, None) as anonymous:
        assert _check(anonymous, batches, None, None) == []


@pytest.mark.parametrize("permission", PERMISSIONS)
def test_every_route_refuses_a_user_lacking_the_permission_it_needs(
    store, settings, batches, permission
):
    name = LACKING[permission]
    store.add_user(name, [other for other in PERMISSIONS if other != permission])
    with clients(store, settings, name) as lacking:
        assert _check(lacking, batches, name, permission) == []


def test_every_route_answers_a_user_with_every_permission(store, settings, batches):
    with clients(store, settings, EVERYONE) as everyone:
        assert _check(everyone, batches, EVERYONE, None) == []


# --- what every route answers: no forged host, no path on the server ------------------------

FORGED_HOST = "attacker.example"


def test_a_forged_host_header_reaches_no_page_link_or_redirect(store, settings, batches):
    """Issue 22 #8: the Host header made the stylesheet's URL; links are relative now."""
    with clients(store, settings, EVERYONE) as everyone:
        for route in ROUTES:
            for sample in route.samples:
                response = send(everyone, route.method, sample, batches, {"host": FORGED_HOST})
                assert response.status_code == sample.answers, (sample, outcome(response))
                assert FORGED_HOST not in response.headers.get("location", ""), sample
                assert FORGED_HOST not in response.text, (sample, response.text[:500])


def test_no_api_answer_shows_a_path_on_the_server(store, settings, batches, tmp_path):
    """Issue 22 #8: API results showed where the server keeps its reports."""
    server_paths = {str(tmp_path), str(settings.report_dir.resolve()), str(settings.outbox_dir)}
    with clients(store, settings, EVERYONE) as everyone:
        for route in ROUTES:
            for sample in route.samples:
                if not sample.url.startswith("/api/"):
                    continue
                response = send(everyone, route.method, sample, batches)
                assert response.status_code == sample.answers, (sample, outcome(response))
                shown = [path for path in server_paths if path in response.text]
                assert not shown, (sample, shown, response.text[:500])


@pytest.mark.parametrize("permission", PERMISSIONS)
def test_the_navigation_offers_only_pages_the_user_may_open(store, settings, permission):
    """A link in the main navigation that answers 403 is a dead end: each user sees the
    links they may follow, and every one of them opens."""
    name = LACKING[permission]
    store.add_user(name, [other for other in PERMISSIONS if other != permission])
    with clients(store, settings, name) as lacking:
        browser = lacking["page"]
        nav = page(browser.get("/history").text).all("nav")[0]
        links = [a.attrs["href"] for a in nav.all("a")]
        assert links, "the navigation has links"
        for href in links:
            assert browser.get(href, follow_redirects=True).status_code == 200, href
