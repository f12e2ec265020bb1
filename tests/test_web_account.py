"""Logging in and out of the web UI: where a login leads, and where it never does."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from bulkpoc.config import Settings
from bulkpoc.services.auth import (
    MAX_FAILED_LOGINS,
    MAX_FAILED_PER_ADDRESS,
    WRONG_LOGIN,
    set_password,
)
from bulkpoc.store import schema
from bulkpoc.store.db import Store
from bulkpoc.web.app import create_app
from tests.cli import Bulkpoc
from tests.web import PASSWORD, client_for, csrf_token, page


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


# --- sessions end at once (issue 22, item 2) ------------------------------------------------

SESSION_COOKIE = "bulkpoc_session"


def copy_of(client: TestClient, store: Store, settings: Settings) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie, as a thief would."""
    thief = client_for(store, settings)
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


def is_logged_in(client: TestClient) -> bool:
    response = client.get("/history")
    assert response.status_code in (200, 303), response.text
    return response.status_code == 200


def bulkpoc_cli(store: Store, tmp_path: Path, *args: str, stdin: str | None = None):
    """``bulkpoc --db <the test's store> ...``, as an administrator runs it."""
    result = Bulkpoc(tmp_path)(*args, db=store.url, stdin=stdin)
    assert result.exit_code == 0, result.output
    return result


def test_a_copied_session_cookie_stops_working_at_logout(client, empty_store, settings) -> None:
    log_in_to(client, "/")
    thief = copy_of(client, empty_store, settings)
    assert is_logged_in(thief)
    client.post("/logout", data={"csrftoken": csrf_token(client, "/history")})
    assert not is_logged_in(thief)


def test_the_session_cookie_carries_no_user_name(client) -> None:
    log_in_to(client, "/")
    value = client.cookies[SESSION_COOKIE]
    decoded = base64.urlsafe_b64decode(value.split(".")[0] + "==")
    assert b"admin" not in decoded
    assert "admin" not in value


@pytest.mark.parametrize(
    "change",
    [
        ("users", "passwd", "admin"),
        ("users", "disable", "admin"),
    ],
    ids=["passwd", "disable"],
)
def test_a_password_change_or_disable_ends_every_session_of_the_user(
    client, empty_store, settings, tmp_path, change
) -> None:
    log_in_to(client, "/")
    other = client_for(empty_store, settings)
    log_in_to(other, "/")
    bulkpoc_cli(empty_store, tmp_path, *change, stdin="a new password\n")
    assert not is_logged_in(client)
    assert not is_logged_in(other)


def test_removing_the_user_ends_their_sessions(client, empty_store) -> None:
    log_in_to(client, "/")
    with empty_store.engine.begin() as connection:
        connection.execute(delete(schema.users).where(schema.users.c.name == "admin"))
    assert not is_logged_in(client)


def test_a_session_ends_after_the_idle_time(empty_store, settings) -> None:
    set_password(empty_store, "admin", PASSWORD)
    client = client_for(empty_store, settings.model_copy(update={"session_idle_seconds": 2}))
    log_in_to(client, "/")
    assert is_logged_in(client)
    time.sleep(2.5)
    assert not is_logged_in(client)


def test_a_session_ends_after_the_longest_time_however_busy(empty_store, settings) -> None:
    set_password(empty_store, "admin", PASSWORD)
    short = {"session_idle_seconds": 60, "session_max_seconds": 3}
    client = client_for(empty_store, settings.model_copy(update=short))
    log_in_to(client, "/")
    start = time.monotonic()
    while time.monotonic() - start < 1:
        assert is_logged_in(client)
        time.sleep(0.2)
    time.sleep(max(0.0, start + 3.5 - time.monotonic()))
    assert not is_logged_in(client)


# --- CSRF on every form, the login form too (items 5 and 6) -----------------------------------


def test_a_cross_site_login_form_is_refused(client) -> None:
    """A browser with no cookie for this site posting the login form: an attacker's page
    logging the victim in as the attacker."""
    form = {"name": "admin", "password": PASSWORD, "next": "/"}
    response = client.post("/login", data=form)
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies or not is_logged_in(client)
    response = client.post("/login", data=form | {"csrftoken": "forged"})
    assert response.status_code == 403
    assert not is_logged_in(client)


def test_the_csrf_token_is_bound_to_the_session(client, empty_store, settings) -> None:
    log_in_to(client, "/")
    other = client_for(empty_store, settings)
    log_in_to(other, "/")
    # this session's cookie, with the other session's token and every other cookie it has
    mixed = client_for(empty_store, settings)
    for name, value in other.cookies.items():
        mixed.cookies.set(name, value)
    mixed.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    response = mixed.post("/logout", data={"csrftoken": csrf_token(other, "/history")})
    assert response.status_code == 403
    assert is_logged_in(client)


@pytest.mark.parametrize("token", ["é", "tökén" * 10, "\u2028", "a" * 5000, ""])
def test_a_strange_csrf_token_is_a_403_page_in_the_sites_layout(client, token) -> None:
    log_in_to(client, "/")
    response = client.post("/logout", data={"csrftoken": token})
    assert response.status_code == 403
    shown = page(response.text)
    assert shown.by_id("main").all("h1")
    assert "open too long" in shown.by_id("main").text
    assert shown.all("nav")  # the site's layout
    assert any(a.attrs.get("href") for a in shown.by_id("main").all("a"))
    assert is_logged_in(client)


def test_a_form_sent_without_cookies_says_cookies_may_be_off(empty_store, settings) -> None:
    client = client_for(empty_store, settings)
    token = csrf_token(client)
    client.cookies.clear()
    form = {"name": "admin", "password": PASSWORD, "next": "/", "csrftoken": token}
    response = client.post("/login", data=form, headers={"referer": "http://testserver/login"})
    assert response.status_code == 403
    main = page(response.text).by_id("main")
    assert "cookies" in main.text
    assert [a.attrs["href"] for a in main.all("a")] == ["/login"]


def test_an_upload_with_a_forged_token_is_refused_before_the_file(
    client, empty_store, settings
) -> None:
    log_in_to(client, "/")
    before = empty_store.count_history()
    response = client.post(
        "/manage/poc/upload",
        data={"csrftoken": "forged", "file_format": "csv", "rows": "all"},
        files={"file": ("pocs.csv", b"Name\nx\n", "text/csv")},
    )
    assert response.status_code == 403
    assert empty_store.count_history() == before


# --- cookie flags (item 5) --------------------------------------------------------------------


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def test_cookies_are_http_only_lax_and_not_secure_on_plain_http(client) -> None:
    cookie = set_cookies(client.get("/login"))[SESSION_COOKIE]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()


def test_the_https_setting_makes_every_cookie_secure(empty_store, settings) -> None:
    set_password(empty_store, "admin", PASSWORD)
    secure = settings.model_copy(update={"https": True})
    client = TestClient(
        create_app(secure, empty_store), base_url="https://testserver", follow_redirects=False
    )
    assert "secure" in set_cookies(client.get("/login"))[SESSION_COOKIE].lower()
    response = log_in_to(client, "/")
    assert response.status_code == 303
    cookies = set_cookies(response)
    assert SESSION_COOKIE in cookies
    assert all("; secure" in cookie.lower() for cookie in cookies.values()), cookies


@pytest.mark.parametrize(("proxies", "secure"), [("", False), ("10.0.0.0/8", True)])
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(
    empty_store, settings, proxies, secure
) -> None:
    behind = settings.model_copy(update={"trusted_proxies": proxies})
    client = TestClient(
        create_app(behind, empty_store), client=("10.1.2.3", 40000), follow_redirects=False
    )
    response = client.get("/login", headers={"x-forwarded-proto": "https"})
    assert ("secure" in set_cookies(response)[SESSION_COOKIE].lower()) is secure


# --- throttling: 429 and Retry-After, by name and by address, known devices (item 4) --------


def browser_at(store: Store, settings: Settings, address: str) -> TestClient:
    return TestClient(create_app(settings, store), client=(address, 40000), follow_redirects=False)


def try_login(client: TestClient, name: str, password: str):
    form = {"name": name, "password": password, "next": "/"}
    return client.post("/login", data=form | {"csrftoken": csrf_token(client)})


def assert_throttled(response, sentence: str) -> None:
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    assert sentence in page(response.text).by_id("main").text


def test_spraying_one_password_over_many_names_is_throttled_by_address(
    client, empty_store, settings
) -> None:
    sprayer = browser_at(empty_store, settings, "203.0.113.9")
    for number in range(MAX_FAILED_PER_ADDRESS):
        assert try_login(sprayer, f"user{number}", "Summer2026!").status_code == 401
    assert_throttled(
        try_login(sprayer, "admin", PASSWORD), "Too many failed logins from your address"
    )
    assert log_in_to(client, "/").status_code == 303  # another address is not held up


def test_a_locked_name_answers_429_but_its_known_browser_still_logs_in(
    client, empty_store, settings
) -> None:
    assert log_in_to(client, "/").status_code == 303  # this browser is now known
    attacker = browser_at(empty_store, settings, "198.51.100.66")
    for _ in range(MAX_FAILED_LOGINS):
        assert try_login(attacker, "admin", "a guess").status_code == 401
    assert not is_logged_in(client)  # the lock ended the session
    assert_throttled(
        try_login(attacker, "admin", PASSWORD), "Too many failed logins for this account"
    )
    stranger = browser_at(empty_store, settings, "192.0.2.1")
    assert try_login(stranger, "admin", PASSWORD).status_code == 429
    assert log_in_to(client, "/").status_code == 303
    assert is_logged_in(client)


def test_a_known_device_cookie_is_only_for_its_own_name(client, empty_store, settings) -> None:
    empty_store.add_user("carol", ["Skills Edit"])
    set_password(empty_store, "carol", PASSWORD)
    assert log_in_to(client, "/").status_code == 303  # known for admin, not for carol
    attacker = browser_at(empty_store, settings, "198.51.100.66")
    for _ in range(MAX_FAILED_LOGINS):
        try_login(attacker, "carol", "a guess")
    assert try_login(client, "carol", PASSWORD).status_code == 429
    for _ in range(MAX_FAILED_LOGINS):
        try_login(attacker, "admin", "a guess")
    forged = client_for(empty_store, settings)
    forged.cookies.set("bulkpoc_device", client.cookies["bulkpoc_device"] + "x")
    assert try_login(forged, "admin", PASSWORD).status_code == 429
    assert try_login(client, "admin", PASSWORD).status_code == 303
