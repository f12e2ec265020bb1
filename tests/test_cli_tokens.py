"""``bulkpoc tokens create|list|revoke``: API tokens for partner systems."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bulkpoc.services.auth import TOKEN_PREFIX, user_for_token
from tests.cli import Bulkpoc


@pytest.fixture
def bulkpoc(tmp_path, monkeypatch) -> Bulkpoc:
    """An initialised store with a user ``partner`` who may create POCs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BULKPOC_DATABASE_URL", raising=False)
    runner = Bulkpoc(tmp_path)
    assert runner("init").exit_code == 0
    added = runner("users", "add", "partner", "--permission", "Points of Contact Create")
    assert added.exit_code == 0
    return runner


def token_user(bulkpoc: Bulkpoc, token: str) -> str | None:
    store = bulkpoc.store()
    try:
        user = user_for_token(store, token)
    finally:
        store.engine.dispose()
    return None if user is None else user.name


def create(bulkpoc: Bulkpoc, name: str = "crm", user: str = "partner") -> str:
    result = bulkpoc("tokens", "create", name, "--as", user)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_create_prints_the_token_alone_on_stdout_once_and_it_acts_as_its_user(bulkpoc):
    result = bulkpoc("tokens", "create", "crm", "--as", "partner")
    assert result.exit_code == 0, result.output
    (token,) = result.stdout.split()
    assert token.startswith(TOKEN_PREFIX)
    assert result.stderr.strip() == (
        "Token 'crm' acts as 'partner'. Copy it now: it will not be shown again."
    )
    assert token_user(bulkpoc, token) == "partner"
    assert token_user(bulkpoc, token[:-2]) is None


def test_list_shows_each_token_but_never_the_token_itself(bulkpoc):
    token = create(bulkpoc)
    create(bulkpoc, "reports", "admin")
    token_user(bulkpoc, token)
    table = bulkpoc("tokens", "list")
    assert table.exit_code == 0
    listing = bulkpoc("tokens", "list", "--json")
    assert listing.exit_code == 0
    for output in (table.stdout, listing.stdout):
        assert token not in output
        assert token[len(TOKEN_PREFIX) :][:8] not in output
    rows = json.loads(listing.stdout)
    assert [(row["name"], row["user"]) for row in rows] == [
        ("crm", "partner"),
        ("reports", "admin"),
    ]
    assert rows[0]["last_used_at"] is not None
    assert rows[1]["last_used_at"] is None
    assert all(row["revoked_at"] is None for row in rows)
    created = dt.datetime.fromisoformat(rows[0]["created_at"])
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - created) < dt.timedelta(hours=1)
    assert "crm" in table.stdout
    assert "partner" in table.stdout


def test_list_with_no_token_says_how_to_create_one(bulkpoc):
    result = bulkpoc("tokens", "list")
    assert "bulkpoc tokens create NAME --as USER" in result.stdout
    assert json.loads(bulkpoc("tokens", "list", "--json").stdout) == []


def test_revoke_stops_the_token_at_once_and_keeps_it_listed(bulkpoc):
    token = create(bulkpoc)
    other = create(bulkpoc, "reports")
    revoked = bulkpoc("tokens", "revoke", "crm")
    assert revoked.exit_code == 0
    assert revoked.stdout == "Revoked the token 'crm'; it no longer works.\n"
    assert token_user(bulkpoc, token) is None
    assert token_user(bulkpoc, other) == "partner"
    rows = {row["name"]: row for row in json.loads(bulkpoc("tokens", "list", "--json").stdout)}
    assert rows["crm"]["revoked_at"] is not None
    assert rows["reports"]["revoked_at"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "crm", "--as", "partner"], "A token named 'crm' already exists"),
        (["create", "other", "--as", "ghost"], "There is no user named 'ghost'"),
        (["create", "other"], "Missing option '--as'"),
        (["revoke", "nope"], "There is no API token named 'nope'."),
    ],
    ids=["duplicate name", "unknown user", "no user", "unknown token"],
)
def test_mistakes_are_usage_errors_in_one_sentence(bulkpoc, args, message):
    create(bulkpoc)
    result = bulkpoc("tokens", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    names = [row["name"] for row in json.loads(bulkpoc("tokens", "list", "--json").stdout)]
    assert names == ["crm"]


@pytest.mark.parametrize("args", [["list"], ["create", "crm", "--as", "admin"], ["revoke", "x"]])
def test_a_store_never_initialised_gives_one_sentence(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = Bulkpoc(tmp_path)("tokens", *args)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "bulkpoc init" in message
