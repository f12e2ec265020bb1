"""Settings read from the environment, with defaults that work on a fresh machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bulkpoc.errors import BulkpocError

DEFAULT_DATABASE_URL = "sqlite:///bulkpoc.db"
SMTP_SECURITY = ("none", "starttls", "tls")


@dataclass(frozen=True)
class Settings:
    """Where the store, the reports and the outgoing mail go."""

    default_region: str = "US"
    report_dir: Path = Path("bulkpoc-reports")
    outbox_dir: Path = Path("bulkpoc-outbox")
    smtp_host: str | None = None
    smtp_port: int | None = None  # None: 465 for tls, 587 for starttls, else 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"  # none, starttls, or tls (implicit TLS, as SMTP_SSL)
    smtp_timeout: float = 30
    smtp_ca_file: Path | None = None  # CA bundle to trust for TLS; None: the system's
    mail_from: str = "bulkpoc@localhost"
    # How long a batch waits for another batch to release the store before it gives up.
    lock_timeout: float = 600.0
    heartbeat_seconds: float = 10.0
    stale_after_seconds: float = 60.0
    inbox_settle_seconds: float = 2.0
    mail_retry_seconds: float = 60.0
    mail_retry_max_seconds: float = 3600.0
    worker_concurrency: int = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        ca_file = env.get("BULKPOC_SMTP_CA_FILE")
        return cls(
            default_region=env.get("BULKPOC_DEFAULT_REGION", "US").upper(),
            report_dir=Path(env.get("BULKPOC_REPORT_DIR", "bulkpoc-reports")),
            outbox_dir=Path(env.get("BULKPOC_OUTBOX_DIR", "bulkpoc-outbox")),
            smtp_host=env.get("BULKPOC_SMTP_HOST") or None,
            smtp_port=int(_number(env, "BULKPOC_SMTP_PORT", 0)) or None,
            smtp_user=env.get("BULKPOC_SMTP_USER") or None,
            smtp_password=env.get("BULKPOC_SMTP_PASSWORD") or None,
            smtp_security=_choice(env, "BULKPOC_SMTP_SECURITY", SMTP_SECURITY),
            smtp_timeout=_number(env, "BULKPOC_SMTP_TIMEOUT", 30),
            smtp_ca_file=Path(ca_file) if ca_file else None,
            mail_from=env.get("BULKPOC_MAIL_FROM", "bulkpoc@localhost"),
            lock_timeout=_number(env, "BULKPOC_LOCK_TIMEOUT", 600),
            mail_retry_seconds=_number(env, "BULKPOC_MAIL_RETRY_SECONDS", 60),
            mail_retry_max_seconds=_number(env, "BULKPOC_MAIL_RETRY_MAX_SECONDS", 3600),
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise BulkpocError(f"{name} must be a non-negative number, not {text!r}.")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when unset), case-insensitive."""
    text = env.get(name, "").strip()
    if not text:
        return choices[0]
    if text.lower() not in choices:
        raise BulkpocError(f"{name} must be one of {', '.join(choices)}, not {text!r}.")
    return text.lower()
