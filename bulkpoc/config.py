"""Settings read from the environment, with defaults that work on a fresh machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///bulkpoc.db"


@dataclass(frozen=True)
class Settings:
    """Where the store, the reports and the outgoing mail go."""

    database_url: str = DEFAULT_DATABASE_URL
    default_region: str = "US"
    report_dir: Path = Path("bulkpoc-reports")
    outbox_dir: Path = Path("bulkpoc-outbox")
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "bulkpoc@localhost"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("BULKPOC_DATABASE_URL", DEFAULT_DATABASE_URL),
            default_region=env.get("BULKPOC_DEFAULT_REGION", "US").upper(),
            report_dir=Path(env.get("BULKPOC_REPORT_DIR", "bulkpoc-reports")),
            outbox_dir=Path(env.get("BULKPOC_OUTBOX_DIR", "bulkpoc-outbox")),
            smtp_host=env.get("BULKPOC_SMTP_HOST") or None,
            smtp_port=int(env.get("BULKPOC_SMTP_PORT", "25")),
            smtp_user=env.get("BULKPOC_SMTP_USER") or None,
            smtp_password=env.get("BULKPOC_SMTP_PASSWORD") or None,
            smtp_starttls=env.get("BULKPOC_SMTP_STARTTLS", "").lower() in {"1", "true", "yes"},
            mail_from=env.get("BULKPOC_MAIL_FROM", "bulkpoc@localhost"),
        )
