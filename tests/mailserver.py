"""A real SMTP server on loopback (aiosmtpd) for the email tests, and TLS certificates for it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every envelope it accepts and every login it sees.

    ``hold_first``: the first message waits in DATA until ``release`` is set, and
    ``holding`` is set while it waits. ``delay``: seconds each message waits in DATA, so that
    concurrent senders overlap.
    """

    port: int = 0
    envelopes: list[Any] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    hold_first: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(self.delay)
        if self.hold_first and not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == ("mailer", "s3cret"), handled=False)

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            for envelope in self.envelopes
        ]


@contextmanager
def smtp_server(port: int | None = None, **options: Any) -> Iterator[Mailbox]:
    """An SMTP server on ``port`` (default: a free one) until the block ends.

    ``options`` go to aiosmtpd's Controller: ``tls_context`` with ``require_starttls`` for
    STARTTLS, ``ssl_context`` for implicit TLS; ``login=True`` accepts mailer / s3cret;
    ``hold_first=True`` and ``delay``: see ``Mailbox``.
    """
    mailbox = Mailbox(
        port=port or free_port(),
        hold_first=options.pop("hold_first", False),
        delay=options.pop("delay", 0.0),
    )
    if options.pop("login", False):
        options["authenticator"] = mailbox.authenticate
    controller = Controller(mailbox, hostname=HOST, port=mailbox.port, **options)
    controller.start()
    try:
        yield mailbox
    finally:
        mailbox.release.set()
        controller.stop()


@dataclass(frozen=True)
class Certificates:
    """A test CA and a server certificate it signed, for 127.0.0.1 and localhost."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(folder: Path) -> Certificates:
    """trustme's test CA and a server certificate it signed, written as PEM files."""
    folder.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    server = authority.issue_cert("localhost", HOST)
    certificates = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    authority.cert_pem.write_to_path(str(certificates.ca_file))
    server.cert_chain_pems[0].write_to_path(str(certificates.cert_file))
    server.private_key_pem.write_to_path(str(certificates.key_file))
    return certificates
