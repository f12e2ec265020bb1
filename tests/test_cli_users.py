"""``bulkpoc users add --password-prompt``, ``users passwd``, ``users list``: web UI passwords;
``users revoke``, ``users disable`` and ``users enable``."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulkpoc.config import Settings
from bulkpoc.services.auth import LoginRefused, authenticate, create_token, user_for_token
from bulkpoc.services.sessions import session_user, start_session
from tests.cli import Bulkpoc

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "tr0ub4dor&3"
SHORT = "A password needs at least 8 characters; choose a longer one."


@pytest.fixture
def bulkpoc(tmp_path, monkeypatch) -> Bulkpoc:
    """An initialised store whose admin has no password yet."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BULKPOC_DATABASE_URL", raising=False)
    runner = Bulkpoc(tmp_path)
    assert runner("init").exit_code == 0
    return runner


def logs_in(bulkpoc: Bulkpoc, name: str, password: str) -> bool:
    store = bulkpoc.store()
    try:
        authenticate(store, name, password)
    except LoginRefused:
        return False
    finally:
        store.engine.dispose()
    return True


def test_init_says_how_to_set_the_admin_password_until_it_is_set(bulkpoc):
    hint = "bulkpoc users passwd admin"
    assert hint in bulkpoc("init").stdout
    assert bulkpoc("users", "passwd", "admin", stdin=PASSWORD + "\n").exit_code == 0
    assert hint not in bulkpoc("init").stdout


def test_users_add_with_password_prompt_asks_twice_and_the_password_logs_in(bulkpoc):
    added = bulkpoc(
        "users",
        "add",
        "carol",
        "--permission",
        "Skills Edit",
        "--password-prompt",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.count("Password") == 1
    assert "Repeat for confirmation" in added.stdout
    assert PASSWORD not in added.output
    assert "carol (password set): Skills Edit" in added.stdout
    assert logs_in(bulkpoc, "carol", PASSWORD)
    assert not logs_in(bulkpoc, "carol", PASSWORD + "x")


def test_a_mistyped_confirmation_or_a_short_password_creates_no_user(bulkpoc):
    mistyped = bulkpoc(
        "users",
        "add",
        "carol",
        "--permission",
        "Skills Edit",
        "--password-prompt",
        stdin=f"{PASSWORD}\n{PASSWORD}x\n",
    )
    assert mistyped.exit_code == 1
    assert "do not match" in mistyped.output
    short = bulkpoc(
        "users",
        "add",
        "carol",
        "--permission",
        "Skills Edit",
        "--password-prompt",
        stdin="short\nshort\n",
    )
    assert short.exit_code == 2
    assert short.stderr.strip() == f"Error: {SHORT}"
    assert "carol" not in bulkpoc("users", "list").stdout


def test_users_passwd_reads_one_line_of_standard_input_when_it_is_not_a_terminal(bulkpoc):
    changed = bulkpoc("users", "passwd", "admin", stdin=PASSWORD + "\r\nignored\n")
    assert changed.exit_code == 0, changed.output
    assert changed.stdout == "Password set for admin.\n"
    assert logs_in(bulkpoc, "admin", PASSWORD)
    assert bulkpoc("users", "passwd", "admin", stdin="another password\n").exit_code == 0
    assert not logs_in(bulkpoc, "admin", PASSWORD)
    assert logs_in(bulkpoc, "admin", "another password")


@pytest.mark.parametrize(
    ("name", "stdin", "message"),
    [
        ("admin", "short\n", SHORT),
        ("admin", "", SHORT),
        ("ghost", PASSWORD + "\n", "There is no user named 'ghost'"),
    ],
    ids=["short", "empty", "unknown user"],
)
def test_users_passwd_refuses_in_one_sentence_with_exit_code_2(bulkpoc, name, stdin, message):
    result = bulkpoc("users", "passwd", name, stdin=stdin)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert not logs_in(bulkpoc, "admin", "short")


def test_users_list_shows_who_has_a_password(bulkpoc):
    bulkpoc("users", "add", "carol", "--permission", "Skills Edit")
    bulkpoc("users", "passwd", "admin", stdin=PASSWORD + "\n")
    lines = bulkpoc("users", "list").stdout.splitlines()
    assert lines[0].startswith("admin (password set): Points of Contact Create")
    assert lines[1] == "carol (no password): Skills Edit"


def test_users_passwd_on_a_terminal_asks_twice_without_echoing(bulkpoc):
    """The real command on a pseudo-terminal, as an administrator types it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BULKPOC_")}
    env["PYTHONPATH"] = str(ROOT)
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bulkpoc", "--db", bulkpoc.url, "users", "passwd", "admin"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=ROOT,
        env=env,
        start_new_session=True,  # no controlling terminal: getpass must use this one
    )
    os.close(secondary)
    seen = b""

    def read_until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while text not in seen:
            assert time.monotonic() < deadline, seen
            ready, _, _ = select.select([primary], [], [], 1)
            if ready:
                seen += os.read(primary, 1024)

    try:
        read_until(b"Password:")
        os.write(primary, PASSWORD.encode() + b"\n")
        read_until(b"Repeat for confirmation:")
        os.write(primary, PASSWORD.encode() + b"\n")
        read_until(b"Password set for admin.")
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        os.close(primary)
    assert PASSWORD.encode() not in seen
    assert logs_in(bulkpoc, "admin", PASSWORD)


def test_users_email_sets_an_existing_users_address_and_refuses_a_bad_one(bulkpoc):
    changed = bulkpoc("users", "email", "admin", "ops@example.com")
    assert changed.exit_code == 0, changed.output
    assert changed.stdout == "Email address of admin set to ops@example.com.\n"
    assert bulkpoc("users", "list").stdout.startswith("admin <ops@example.com> (no password): ")

    bad = bulkpoc("users", "email", "admin", "ops@example")
    assert bad.exit_code == 2
    assert "'ops@example' is not an email address" in bad.stderr
    unknown = bulkpoc("users", "email", "ghost", "ghost@example.com")
    assert unknown.exit_code == 2
    assert "There is no user named 'ghost'" in unknown.stderr
    added = bulkpoc("users", "add", "carol", "--permission", "Skills Edit", "--email", "carol@")
    assert added.exit_code == 2
    store = bulkpoc.store()
    try:
        assert store.get_user("admin").email == "ops@example.com"
        assert [user.name for user in store.list_users()] == ["admin"]
    finally:
        store.engine.dispose()


# --- revoke, disable, enable (issue 22, item 8) ----------------------------------------------


def test_users_revoke_takes_permissions_away_and_keeps_the_rest(bulkpoc):
    bulkpoc(
        "users",
        "add",
        "carol",
        "--permission",
        "Skills Edit",
        "--permission",
        "Points of Contact Create",
    )
    revoked = bulkpoc("users", "revoke", "carol", "--permission", "skills edit")
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout == "carol (no password): Points of Contact Create\n"
    again = bulkpoc("users", "revoke", "carol", "--permission", "Skills Edit")
    assert again.exit_code == 0  # taking away what is not held is no error
    store = bulkpoc.store()
    assert store.get_user("carol").permissions == {"Points of Contact Create"}
    store.engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("users", "revoke", "ghost", "--permission", "Skills Edit"),
            "There is no user named 'ghost'",
        ),
        (("users", "revoke", "admin", "--permission", "Fly"), "'Fly' is not one of"),
        (("users", "revoke", "admin"), "Missing option '--permission'"),
        (("users", "disable", "ghost"), "There is no user named 'ghost'"),
        (("users", "enable", "ghost"), "There is no user named 'ghost'"),
    ],
    ids=["revoke unknown user", "unknown permission", "no permission", "disable", "enable"],
)
def test_revoke_disable_and_enable_refuse_in_one_sentence(bulkpoc, args, message):
    result = bulkpoc(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_disabled_user_cannot_log_in_use_a_token_or_keep_a_session(bulkpoc):
    bulkpoc("users", "add", "carol", "--permission", "Skills Edit")
    assert bulkpoc("users", "passwd", "carol", stdin=PASSWORD + "\n").exit_code == 0
    store = bulkpoc.store()
    settings = Settings.from_env({})
    token = create_token(store, "carols", "carol")
    session = start_session(store, "carol", settings)
    assert logs_in(bulkpoc, "carol", PASSWORD)

    disabled = bulkpoc("users", "disable", "carol")
    assert disabled.exit_code == 0, disabled.output
    assert "carol is disabled" in disabled.stdout
    assert not logs_in(bulkpoc, "carol", PASSWORD)
    assert user_for_token(store, token) is None
    assert session_user(store, session, settings) is None
    assert bulkpoc("users", "list").stdout.splitlines()[1] == (
        "carol (password set, disabled): Skills Edit"
    )

    assert bulkpoc("users", "enable", "carol").exit_code == 0
    assert logs_in(bulkpoc, "carol", PASSWORD)
    user = user_for_token(store, token)
    assert user is not None
    assert user.name == "carol"
    assert session_user(store, session, settings) is None  # an ended session stays ended
    store.engine.dispose()


def test_users_passwd_ends_the_users_sessions(bulkpoc):
    store = bulkpoc.store()
    settings = Settings.from_env({})
    session = start_session(store, "admin", settings)
    assert session_user(store, session, settings) is not None
    assert bulkpoc("users", "passwd", "admin", stdin=PASSWORD + "\n").exit_code == 0
    assert session_user(store, session, settings) is None
    store.engine.dispose()
