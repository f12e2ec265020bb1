"""``bulkpoc outbox``: the results emails waiting in the store, and ``outbox send``."""

from __future__ import annotations

import json

import pytest

from tests.cli import Bulkpoc
from tests.conftest import poc, write_rows
from tests.mailserver import HOST, free_port, smtp_server


@pytest.fixture
def bulkpoc(tmp_path, monkeypatch) -> Bulkpoc:
    """A demo store whose SMTP server (on ``bulkpoc.port``) is not running yet."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BULKPOC_DATABASE_URL", raising=False)
    monkeypatch.setenv("BULKPOC_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("BULKPOC_OUTBOX_DIR", str(tmp_path / "outbox"))
    port = free_port()
    monkeypatch.setenv("BULKPOC_SMTP_HOST", HOST)
    monkeypatch.setenv("BULKPOC_SMTP_PORT", str(port))
    runner = Bulkpoc(tmp_path)
    runner.port = port  # type: ignore[attr-defined]
    assert runner("init", "--demo").exit_code == 0
    return runner


def test_outbox_lists_what_waits_and_send_delivers_it(bulkpoc, tmp_path):
    refused = f"Connection refused by {HOST}:{bulkpoc.port}"
    upload = write_rows(tmp_path / "pocs.csv", [poc()])
    imported = bulkpoc("import", upload, "--notify", "ops@example.com", "--notify", "b@example.com")
    assert imported.exit_code == 0, imported.output
    assert f"Warning: The results email could not be sent yet: {refused};" in imported.stdout
    assert "Email: outbox message 1" in imported.stdout

    listing = bulkpoc("outbox", "--json")
    assert listing.exit_code == 0
    (message,) = json.loads(listing.stdout)
    assert message["id"] == 1
    assert message["recipients"] == ["ops@example.com", "b@example.com"]
    assert (message["attempts"], message["last_error"], message["sent_at"]) == (1, refused, None)
    assert message["subject"].startswith("[bulkpoc] Succeeded: pocs.csv (batch ")
    table = bulkpoc("outbox")
    assert table.exit_code == 0
    row = next(line for line in table.stdout.splitlines() if "ops@example.com" in line)
    assert str(message["batch_id"]) in row
    assert refused in row
    assert message["next_attempt_at"].replace("T", " ")[:19] in row

    assert bulkpoc("outbox", "send").stdout == "Nothing is due.\n", "it waits for its next attempt"
    failed = bulkpoc("outbox", "send", "--all-pending")
    assert failed.exit_code == 1
    assert f"Message 1 (batch {message['batch_id']}) not sent: {refused}; next attempt at" in (
        failed.stdout
    )

    with smtp_server(bulkpoc.port) as server:
        sent = bulkpoc("outbox", "send", "--all-pending")
    assert sent.exit_code == 0, sent.output
    destination = f"smtp://{HOST}:{bulkpoc.port}"
    assert sent.stdout == f"Message 1 (batch {message['batch_id']}) sent to {destination}.\n"
    assert [envelope.rcpt_tos for envelope in server.envelopes] == [
        ["ops@example.com", "b@example.com"]
    ]

    assert bulkpoc("outbox").stdout == "No message waits to be sent.\n"
    assert json.loads(bulkpoc("outbox", "--json").stdout) == []
    (kept,) = json.loads(bulkpoc("outbox", "--all", "--json").stdout)
    assert (kept["attempts"], kept["destination"]) == (3, destination)
    assert kept["sent_at"] is not None
    everything = bulkpoc("outbox", "--all")
    assert destination in everything.stdout
    history = json.loads(bulkpoc("history", "--json").stdout)
    assert history[0]["email_path"] == destination
