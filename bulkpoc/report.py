"""Report: the HTML report, the re-uploadable error file and the results email of a batch."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path

import jinja2

from bulkpoc import formats
from bulkpoc.config import Settings
from bulkpoc.read import RawTable
from bulkpoc.records.base import ERROR_COLUMN
from bulkpoc.result import BatchResult


def templates_dir() -> Path:
    """Installed wheels carry the templates inside the package; a source checkout at the top."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "report.html").exists():
            return candidate
    raise FileNotFoundError("bulkpoc's templates are missing from this installation")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, result: BatchResult, **extra: object) -> str:
    return environment().get_template(template).render(result=result, **extra)


def write_html_report(result: BatchResult, folder: Path) -> Path:
    path = folder / "report.html"
    path.write_text(render("report.html", result), encoding="utf-8")
    return path


def write_error_file(result: BatchResult, raw: RawTable, folder: Path, stem: str) -> Path | None:
    """The failed rows with their original values and an Error column, in the uploaded format."""
    if not result.errors:
        return None
    messages: dict[int, list[str]] = {}
    for error in result.errors:
        prefix = f"{error.column}: " if error.column else ""
        messages.setdefault(error.row, []).append(prefix + error.message)
    keep = [
        i
        for i, header in enumerate(raw.headers)
        if header.strip().casefold() != ERROR_COLUMN.casefold()
    ]
    failed = raw.rows.isin(list(messages))
    frame = raw.data.loc[failed[failed].index, keep].copy()
    frame.columns = [raw.headers[i] for i in keep]
    frame[ERROR_COLUMN] = raw.rows[failed].map(lambda row: " | ".join(messages[int(row)]))
    frame = frame.astype(str)
    fmt = formats.get(raw.file_type)
    path = folder / f"{stem}-errors{fmt.extensions[0]}"
    fmt.write_errors(frame.reset_index(drop=True), path, raw)
    return path


def build_email(
    result: BatchResult, settings: Settings, recipients: list[str], attachment: Path | None
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = (
        f"[bulkpoc] {result.status.label}: {result.file_name} (batch {result.batch_id})"
    )
    message["From"] = settings.mail_from
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="bulkpoc.local")
    message.set_content(render("email.txt", result))
    message.add_alternative(render("email.html", result), subtype="html")
    if attachment is not None and attachment.exists():
        subtype = (
            "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if attachment.suffix == ".xlsx"
            else "csv"
        )
        maintype = "application" if attachment.suffix == ".xlsx" else "text"
        message.add_attachment(
            attachment.read_bytes(), maintype=maintype, subtype=subtype, filename=attachment.name
        )
    return message


def email_destination(settings: Settings, batch_id: int | None) -> str:
    """Where a batch's results email goes: the SMTP server, or a new file in the outbox.

    Decided before the email is sent, so the run history can record it in the batch's own
    transaction.
    """
    if settings.smtp_host:
        return f"smtp://{settings.smtp_host}:{settings.effective_smtp_port}"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return str(settings.outbox_dir / f"batch-{batch_id}-{stamp}.eml")


def send_email(message: EmailMessage, settings: Settings, destination: str) -> None:
    """By SMTP when configured, else into the outbox file ``destination`` as .eml."""
    if settings.smtp_host:
        _send_smtp(message, settings.smtp_host, settings)
        return
    path = Path(destination)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(message.as_bytes())


def _send_smtp(message: EmailMessage, host: str, settings: Settings) -> None:
    """Plain, implicit TLS (``tls``) or STARTTLS; TLS checks the server's certificate."""
    tls = ssl.create_default_context()
    port, timeout = settings.effective_smtp_port, settings.smtp_timeout
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=tls)
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        smtp.send_message(message)
