"""Issue 24 #5: the Administration pages over HTTP, as a browser without JavaScript sends their
forms: schedules, users, API tokens and the outbox, each action with what it leaves in the
store, and what it does to the sessions and tokens of the user it changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient

from bulkpoc.config import Settings
from bulkpoc.domain.permissions import POC_CREATE, SKILLS_EDIT, USERS_MANAGE
from bulkpoc.output import mail
from bulkpoc.services.auth import (
    MAX_FAILED_LOGINS,
    LoginRefused,
    authenticate,
    create_token,
    locked_until,
)
from bulkpoc.store.db import Store, alembic_config
from tests.conftest import poc, write_rows
from tests.mailserver import HOST, free_port, smtp_server
from tests.test_mail import notify, upload
from tests.web import PASSWORD, api_client, client_for, csrf_token, log_in, page, run_workers

NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """No wait for an inbox's files to settle: the test writes them before it looks."""
    return settings.model_copy(update={"inbox_settle_seconds": 0})


@pytest.fixture
def admin(store: Store, fast: Settings) -> Iterator[TestClient]:
    """The admin's browser on the whole app (its job runner too, for "Run now")."""
    with client_for(store, fast) as browser:
        yield log_in(browser, store, "admin")


def post(client: TestClient, url: str, **fields: object) -> object:
    """Send a form of the page at ``url`` as the browser does, with its CSRF token."""
    token = csrf_token(client, "/admin/users")
    return client.post(url, data={**fields, "csrftoken": token})


def said(response) -> str:
    """The sentence the page shows after an action (its status line or its alert)."""
    shown = page(response.text)
    for element_id in ("done", "form-error"):
        if shown.has_id(element_id):
            return shown.by_id(element_id).text
    return ""


def schedule_form(inbox: Path, **changes: str) -> dict[str, str]:
    return {
        "name": "nightly",
        "cron": "0 2 * * *",
        "timezone": "Europe/Paris",
        "inbox": str(inbox),
        "record_type": "poc",
        "rows": "all",
        "notify": "ops@example.com, lead@example.com",
        "run_as": "admin",
    } | changes


# --- schedules ------------------------------------------------------------------------------


def test_a_schedule_is_added_edited_disabled_and_run_now_with_its_files(
    admin: TestClient, store: Store, fast: Settings, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    refused = post(admin, "/admin/schedules", **schedule_form(inbox, cron="every night"))
    assert refused.status_code == 400
    assert "'every night' is not a valid cron expression" in said(refused)
    assert page(refused.text).by_id("inbox").attrs["value"] == str(inbox), "what was typed stays"
    relative = post(admin, "/admin/schedules", **schedule_form(Path("inbox")))
    assert "full path on the server" in said(relative)
    assert store.schedules() == []

    added = post(admin, "/admin/schedules", **schedule_form(inbox))
    assert added.status_code == 303
    kept = store.get_schedule("nightly")
    assert (kept.cron, kept.timezone, kept.recipients) == (
        "0 2 * * *",
        "Europe/Paris",
        ("ops@example.com", "lead@example.com"),
    )
    assert inbox.is_dir(), "the inbox folder is created, as `bulkpoc schedule add` does"
    listed = page(admin.get("/admin/schedules").text).by_id("schedules").text
    assert "nightly" in listed
    assert "CET" in listed
    assert "never" in listed

    url = added.headers["location"].partition("?")[0]
    edited = post(admin, url, **schedule_form(inbox, cron="30 6 * * mon-fri", rows="changed"))
    assert edited.status_code == 303
    assert (store.get_schedule("nightly").cron, store.get_schedule("nightly").rows) == (
        "30 6 * * mon-fri",
        "changed",
    )
    assert "Schedule saved." in said(admin.get(edited.headers["location"]))
    held = post(admin, url, **schedule_form(inbox, max_failed="5 %", hold_for_approval="1"))
    assert held.status_code == 303
    kept = store.get_schedule("nightly")
    assert (kept.max_failed, kept.hold_for_approval) == ("5%", True)
    form = page(admin.get(url).text)
    assert form.by_id("max_failed").attrs["value"] == "5%", "the page shows what the schedule keeps"
    too_many = post(admin, url, **schedule_form(inbox, max_failed="lots", hold_for_approval="1"))
    assert too_many.status_code == 400
    assert "'lots' is not a limit of failed rows" in said(too_many)
    assert store.get_schedule("nightly").max_failed == "5%"
    bad_user = post(admin, url, **schedule_form(inbox, run_as="nobody"))
    assert bad_user.status_code == 400
    assert "nobody" in said(bad_user)

    assert post(admin, f"{url}/enabled", enabled="0").status_code == 303
    assert not store.get_schedule("nightly").enabled
    assert "Disabled" in page(admin.get("/admin/schedules").text).by_id("schedules").text

    write_rows(inbox / "pocs.csv", [poc()])
    ran = post(admin, f"{url}/run")
    assert ran.status_code == 200, ran.text
    assert "pocs.csv: batch" in page(ran.text).by_id("ran").text
    run_workers(store, fast)
    (batch,) = store.history(schedule="nightly")
    assert (batch["source"], batch["file_name"]) == ("schedule", "pocs.csv")
    recent = page(admin.get(url).text).by_id("recent-files")
    assert f"/batches/{batch['id']}" in [a.attrs["href"] for a in recent.all("a")]

    history = page(admin.get("/history?schedule=nightly").text)
    assert [row.attrs["data-batch"] for row in history.by_id("history").all("tr")[1:]] == [
        str(batch["id"])
    ]
    assert post(admin, f"{url}/enabled", enabled="1").status_code == 303
    assert store.get_schedule("nightly").enabled


def test_a_schedule_reads_its_files_through_the_mapping_chosen_on_its_form(
    store: Store, admin: TestClient, tmp_path: Path
) -> None:
    """Issue 25: the form offers the saved mappings; a removed one is refused in one sentence."""
    from bulkpoc.domain.mapping import ColumnMapping

    store.save_mapping("partner", ColumnMapping(record_type="poc", columns={"Name": "Queue"}), "a")
    inbox = tmp_path / "inbox"
    form = page(admin.get("/admin/schedules").text).by_id("mapping")
    assert [option.text for option in form.all("option")] == [
        "None (our headers)",
        "partner (Points of Contact)",
    ]
    added = post(admin, "/admin/schedules", **schedule_form(inbox, mapping="partner"))
    assert added.status_code == 303, said(added)
    assert store.get_schedule("nightly").mapping == "partner"
    assert "mapped by partner" in page(admin.get("/admin/schedules").text).by_id("schedules").text
    url = added.headers["location"].split("?")[0]
    chosen = page(admin.get(url).text).by_id("mapping")
    assert [o.text for o in chosen.all("option") if "selected" in o.attrs] == [
        "partner (Points of Contact)"
    ]
    unmapped = post(admin, url, **schedule_form(inbox, mapping=""))
    assert unmapped.status_code == 303
    assert store.get_schedule("nightly").mapping is None
    store.remove_mapping("partner")
    gone = post(admin, url, **schedule_form(inbox, mapping="partner"))
    assert gone.status_code == 400
    assert "There is no mapping named 'partner'" in said(gone)


# --- users ----------------------------------------------------------------------------------


def test_an_upgraded_store_gives_users_manage_to_its_admin_and_nobody_else(store: Store) -> None:
    """A store from before Users Manage: its admin held every permission and still does, so
    the Administration pages open at once; no other user gains the right to manage users."""
    store.add_user("carol", [POC_CREATE, SKILLS_EDIT])
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0013")  # the store before Users Manage
    assert USERS_MANAGE not in store.get_user("admin").permissions
    store.ensure_ready()
    assert USERS_MANAGE in store.get_user("admin").permissions
    assert store.get_user("carol").permissions == frozenset({POC_CREATE, SKILLS_EDIT})


@pytest.fixture
def pat(admin: TestClient, store: Store, fast: Settings) -> Iterator[TestClient]:
    """Pat, added on the Users page with a password, logged in in a browser of their own."""
    added = post(
        admin,
        "/admin/users",
        name="pat",
        email="pat@example.com",
        permission=[POC_CREATE],
        password=PASSWORD,
        password_again=PASSWORD,
    )
    assert added.status_code == 303, said(added)
    assert added.headers["location"] == "/admin/users/pat?done=added"
    with client_for(store, fast) as browser:
        response = browser.post(
            "/login",
            data={"name": "pat", "password": PASSWORD, "csrftoken": csrf_token(browser)},
        )
        assert response.status_code == 303
        yield browser


def logged_in(browser: TestClient) -> bool:
    return browser.get("/history").status_code == 200


def test_a_user_added_in_the_browser_may_log_in_and_granting_keeps_their_session(
    admin: TestClient, pat: TestClient, store: Store
) -> None:
    user = store.get_user("pat")
    assert (user.email, user.permissions) == ("pat@example.com", frozenset({POC_CREATE}))
    assert pat.get("/skills/1").status_code == 403

    granted = post(admin, "/admin/users/pat/permissions", permission=[POC_CREATE, SKILLS_EDIT])
    assert "Permissions saved" in said(admin.get(granted.headers["location"]))
    assert logged_in(pat), "a grant leaves the session as it is"
    assert pat.get("/skills/1").status_code == 200, "and takes effect at once"


def test_revoking_a_permission_ends_the_users_sessions_at_once(
    admin: TestClient, pat: TestClient, store: Store, settings: Settings
) -> None:
    token = create_token(store, "pats-token", "pat")
    revoked = post(admin, "/admin/users/pat/permissions", permission=[])
    assert revoked.status_code == 303
    assert store.get_user("pat").permissions == frozenset()
    assert not logged_in(pat), "pat logs in again, without the permission"
    with api_client(store, settings, token) as partner:
        assert partner.get("/api/v1/pocs").status_code == 403, "the token goes without it too"


def test_nobody_takes_users_manage_from_themselves(admin: TestClient, store: Store) -> None:
    refused = post(admin, "/admin/users/admin/permissions", permission=[POC_CREATE])
    assert refused.status_code == 400
    assert "You cannot take 'Users Manage' away from yourself" in said(refused)
    assert USERS_MANAGE in store.get_user("admin").permissions
    assert SKILLS_EDIT in store.get_user("admin").permissions, "nothing else changed either"


def test_resetting_a_password_ends_the_sessions_and_the_new_one_logs_in(
    admin: TestClient, pat: TestClient, store: Store
) -> None:
    differ = post(admin, "/admin/users/pat/password", password=NEW_PASSWORD, password_again="other")
    assert differ.status_code == 400
    assert "differ" in said(differ)
    short = post(admin, "/admin/users/pat/password", password="short", password_again="short")
    assert "at least 8 characters" in said(short)
    assert logged_in(pat)

    reset = post(
        admin, "/admin/users/pat/password", password=NEW_PASSWORD, password_again=NEW_PASSWORD
    )
    assert reset.status_code == 303
    assert not logged_in(pat)
    assert authenticate(store, "pat", NEW_PASSWORD).name == "pat"


def test_a_locked_user_is_shown_locked_and_unlocked(admin: TestClient, pat, store) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginRefused):
            authenticate(store, "pat", "wrong password")
    assert locked_until(store, "pat") is not None
    users = page(admin.get("/admin/users").text).by_id("users")
    assert (
        "Locked" in next(row for row in users.all("tr") if row.attrs.get("data-user") == "pat").text
    )
    assert (
        "Locked by failed logins"
        in page(admin.get("/admin/users/pat").text).by_id("login-state").text
    )

    assert post(admin, "/admin/users/pat/unlock").status_code == 303
    assert locked_until(store, "pat") is None
    assert authenticate(store, "pat", PASSWORD).name == "pat"


def test_an_email_address_is_checked_then_saved(admin: TestClient, pat, store) -> None:
    refused = post(admin, "/admin/users/pat/email", email="pat at example")
    assert refused.status_code == 400
    assert "is not an email address" in said(refused)
    assert store.get_user("pat").email == "pat@example.com"
    assert post(admin, "/admin/users/pat/email", email="pat@example.org").status_code == 303
    assert store.get_user("pat").email == "pat@example.org"


def test_a_user_without_users_manage_may_not_change_anyone(pat: TestClient, store) -> None:
    for url in ("/admin/users", "/admin/schedules", "/admin/tokens", "/admin/outbox"):
        refused = pat.get(url)
        assert refused.status_code == 403, url
        assert "'Users Manage' permission" in page(refused.text).all("p")[0].text, url
    token = csrf_token(pat, "/history")
    granted = pat.post(
        "/admin/users/pat/permissions", data={"permission": [USERS_MANAGE], "csrftoken": token}
    )
    assert granted.status_code == 403
    assert store.get_user("pat").permissions == frozenset({POC_CREATE})
    assert "Administration" not in page(pat.get("/history").text).all("nav")[0].text


# --- API tokens -----------------------------------------------------------------------------


def test_a_token_is_shown_once_works_and_stops_when_revoked(
    admin: TestClient, store: Store, settings: Settings
) -> None:
    created = post(admin, "/admin/tokens", name="reports", user="admin")
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    secret = page(created.text).by_id("secret").text
    assert secret.startswith("bpk_")
    assert secret not in admin.get("/admin/tokens").text, "shown once, never again"
    taken = post(admin, "/admin/tokens", name="reports", user="admin")
    assert taken.status_code == 400
    assert "already exists" in said(taken)

    with api_client(store, settings, secret) as partner:
        assert partner.get("/api/v1/batches").status_code == 200
        row = page(admin.get("/admin/tokens").text).by_id("tokens").all("tr")[1]
        assert "never" not in row.text, "its last use is shown"
        assert post(admin, "/admin/tokens/revoke", name="reports").status_code == 303
        assert partner.get("/api/v1/batches").status_code == 401
    assert "Revoked" in page(admin.get("/admin/tokens").text).by_id("tokens").text


# --- the outbox -----------------------------------------------------------------------------


def test_retry_now_delivers_a_failed_message_to_the_smtp_server(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there yet: the batch's email fails
    settings = settings.model_copy(update={"smtp_host": HOST, "smtp_port": port})
    result = notify(store, upload(tmp_path, "csv", [poc()]), settings)
    (message,) = mail.messages(store)
    with client_for(store, settings) as browser:
        admin = log_in(browser, store, "admin")
        listed = page(admin.get("/admin/outbox").text).by_id("outbox")
        assert "Failed 1×" in listed.text
        assert "Connection refused" in listed.text
        assert f"/batches/{result.batch_id}" in [a.attrs["href"] for a in listed.all("a")]
        assert post(admin, "/admin/outbox/retry").status_code == 400

        with smtp_server(port) as server:
            retried = post(admin, "/admin/outbox/retry", message=str(message["id"]))
        assert retried.status_code == 200
        assert f"sent to smtp://{HOST}:{port}" in page(retried.text).by_id("tried").text
        assert page(retried.text).has_id("empty-outbox")
    assert [envelope.rcpt_tos for envelope in server.envelopes] == [
        ["ops@example.com", "lead@example.com"]
    ]
    assert mail.messages(store) == []
