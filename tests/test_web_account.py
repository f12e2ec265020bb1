"""Logging in and out of the web UI: where a login leads, and where it never does."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.services.auth import WRONG_LOGIN, set_password
from bulkpoc.store.db import Store
from tests.web import PASSWORD, client_for, csrf_token


@pytest.fixture
def client(empty_store: Store, settings: Settings) -> TestClient:
    set_password(empty_store, "admin", PASSWORD)
    return client_for(empty_store, settings)


def log_in_to(client: TestClient, next_page: str, password: str = PASSWORD):
    form = {"name": "admin", "password": password, "next": next_page}
    return client.post("/login", data=form | {"csrftoken": csrf_token(client)})


def test_a_login_goes_to_the_page_that_asked_for_it(client: TestClient) -> None:
    response = log_in_to(client, "/history?status=failed")
    assert (response.status_code, response.headers["location"]) == (303, "/history?status=failed")
    assert client.get("/history").status_code == 200


@pytest.mark.parametrize(
    "elsewhere",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\\/evil.example", "\\\\x"],
)
def test_a_login_never_leads_to_another_site(client: TestClient, elsewhere: str) -> None:
    response = log_in_to(client, elsewhere)
    assert (response.status_code, response.headers["location"]) == (303, "/")


def test_a_wrong_password_stays_on_the_login_page_and_says_so(client: TestClient) -> None:
    response = log_in_to(client, "/history", password="not the password")
    assert response.status_code == 401
    assert WRONG_LOGIN in response.text
    assert client.get("/history").status_code == 303  # still not logged in


def test_logging_out_ends_the_session(client: TestClient) -> None:
    log_in_to(client, "/")
    response = client.post("/logout", data={"csrftoken": csrf_token(client, "/history")})
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert client.get("/history").headers["location"] == "/login?next=/history"
