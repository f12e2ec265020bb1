"""Table definitions. The Alembic migrations create exactly this schema (tested)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

MAX_ID = 2**31 - 1  # the largest id an Integer primary key holds, on either backend
NOT_FAILED = "status <> 'failed'"  # the batches that hold their dry run (ix_batches_preview_of)


def is_ours(name: str | None) -> bool:
    """The job queue's own tables (procrastinate_*, on PostgreSQL) are not described here."""
    return not (name or "").startswith("procrastinate_")


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Every *_key column holds the case-folded form its uniqueness is enforced on. Every record
# table's row_hash is the hash of the row an export writes for the record (bulkpoc.domain.rowhash),
# or NULL when not known.


def row_hash() -> Column:
    return Column("row_hash", BigInteger, nullable=True)


skills = Table(
    "skills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("media_type", String(20), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("last_modified", DateTime, nullable=False),
    row_hash(),
)

scripts = Table(
    "scripts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("media_type", String(20), nullable=False),
    Column("last_modified", DateTime, nullable=False),
    row_hash(),
)

chat_profiles = Table(
    "chat_profiles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("last_modified", DateTime, nullable=False),
    row_hash(),
)

numbers = Table(
    "numbers",
    metadata,
    Column("phone_number", String(16), primary_key=True),
    Column("voice", Boolean, nullable=False),
    Column("sms", Boolean, nullable=False),
    Column("last_modified", DateTime, nullable=False),
    row_hash(),
)

pocs = Table(
    "pocs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("media_type", String(20), nullable=False),
    Column("address", String(320), nullable=False),
    Column("address_key", String(320), nullable=False),
    Column("skill_id", Integer, ForeignKey("skills.id"), nullable=False),
    Column("script_id", Integer, ForeignKey("scripts.id"), nullable=False),
    Column("ivr_enabled", Boolean, nullable=False, default=False),
    Column("chat_profile_id", Integer, ForeignKey("chat_profiles.id"), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("last_modified", DateTime, nullable=False),
    row_hash(),
    UniqueConstraint("media_type", "address_key"),
    # The list page's filters, each in the default order (by name), and its Last Modified
    # sort: without them a filtered page sorts every match, and that sort reads the table.
    Index("ix_pocs_skill_name", "skill_id", "name_key"),
    Index("ix_pocs_media_type_name", "media_type", "name_key"),
    Index("ix_pocs_active_name", "active", "name_key"),
    Index("ix_pocs_last_modified", "last_modified", "id"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("email", String(320), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime, nullable=True),  # set: no login, no session, no token
)

user_permissions = Table(
    "user_permissions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("permission", String(60), primary_key=True),
)

batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_type", String(20), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("file_type", String(8), nullable=True),
    Column("source", String(20), nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("options", JSON, nullable=False),
    Column("schedule_name", String(100), nullable=True),
    Column("submitted_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),  # None while queued
    Column("finished_at", DateTime, nullable=True),
    Column("status", String(30), nullable=False),
    # While running: what it is doing, which process does it (host:pid), when it last said so.
    Column("stage", String(20), nullable=True),
    Column("stage_done", Integer, nullable=True),
    Column("stage_total", Integer, nullable=True),
    Column("stage_detail", String(200), nullable=True),
    Column("worker", String(200), nullable=True),
    Column("heartbeat_at", DateTime, nullable=True),
    # A scheduled batch's file, waiting under the inbox until the batch has run.
    Column("inbox_path", Text, nullable=True),
    Column("total", Integer, nullable=False, default=0),
    Column("processed", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    # Records an undo removed (those the batch it undid had created).
    Column("removed", Integer, nullable=False, default=0, server_default="0"),
    # The batch this one undid, once applied; unique, so a batch is undone once.
    Column("reverts", Integer, nullable=True),
    Column("failure", Text, nullable=True),
    Column("failure_code", String(40), nullable=True),
    Column("warnings", JSON, nullable=False),
    Column("timings", JSON, nullable=True),  # seconds per stage; None before migration 0008
    Column("report_path", Text, nullable=True),
    Column("error_file_path", Text, nullable=True),
    Column("email_path", Text, nullable=True),
    # What the batch changed (or would), field by field: bulkpoc.domain.changes.ChangeSummary.
    Column("changes_summary", JSON, nullable=True),
    # Set when retention removed the batch's change records (and files only it needed), and
    # the retention in days it applied: the batch can no longer be undone (migration 0011).
    Column("changes_pruned_at", DateTime, nullable=True),
    Column("changes_retention_days", Integer, nullable=True),
    # Applying a dry run: the dry-run batch this batch applies, and, when the store had
    # changed since, the new dry run of the file it queued. A dry run is applied once: one
    # batch that has not failed (a failed one applied nothing) per preview_of.
    Column("preview_of", Integer, nullable=True),
    Column("new_preview", Integer, nullable=True),
    # A fix (source ``fix``): the batch whose failed rows it runs again with the fixes made.
    Column("fixes", Integer, nullable=True),
    # Partial on both backends (migration 0013 makes it so on PostgreSQL too): only SQLite's
    # condition is declared here, because a ``postgresql_where`` makes SQLAlchemy import its
    # whole PostgreSQL dialect (about 40 ms) when this module loads, in every command on SQLite.
    Index("ix_batches_preview_of", "preview_of", unique=True, sqlite_where=text(NOT_FAILED)),
    Index("ix_batches_status_started", "status", "started_at"),
    # Run History's filters, newest first, and the counts beside them.
    Index("ix_batches_status_id", "status", "id"),
    Index("ix_batches_source_id", "source", "id"),
    Index("ix_batches_user_id", "user_name", "id"),
    Index("ix_batches_reverts", "reverts", unique=True),
    Index("ix_batches_fixes", "fixes"),
)

batch_errors = Table(
    "batch_errors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("row", Integer, nullable=False),
    Column("column", String(100), nullable=False),
    Column("value", Text, nullable=False),
    Column("code", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_batch_errors_batch_row", "batch_id", "row"),
)

# What each batch did (or, for a dry run, would do) to each record: bulkpoc.domain.changes.
# No foreign key to batches: checking one per row doubled the cost of COPY on PostgreSQL, and
# nothing but a batch (in its own transaction) or retention writes or removes these rows.
changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, nullable=False),
    Column("row", Integer, nullable=True),
    Column("record_type", String(20), nullable=False),
    Column("record_key", String(320), nullable=True),  # None: a dry run's create of an ID
    Column("action", String(10), nullable=False),
    Column("field", Text, nullable=True),  # a header; for a whole record, all of them
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Index("ix_changes_batch_id", "batch_id", "id"),
    Index("ix_changes_record", "record_type", "record_key"),
)

# SQLite only: the highest ID each record type has handed out, so an ID freed by an undo is
# never given to another record (its history would become the new one's). PostgreSQL's
# sequences never give an ID twice.
record_ids = Table(
    "record_ids",
    metadata,
    Column("record_type", String(20), primary_key=True),
    Column("last_id", Integer, nullable=False),
)

# Every uploaded file's bytes, once per content, so any worker on any machine can run a batch.
files = Table(
    "files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# A batch's documents that cannot be rendered again from its result (the error file).
batch_files = Table(
    "batch_files",
    metadata,
    Column("batch_id", Integer, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("name", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    PrimaryKeyConstraint("batch_id", "kind"),
)

# Results emails, kept until the SMTP server has taken them.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id", ondelete="SET NULL"), nullable=True),
    Column("recipients", JSON, nullable=False),
    Column("subject", Text, nullable=False),
    Column("message", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    # Until when the sender that claimed the message may send it; no other sender takes it
    # meanwhile, whatever the next attempt says (a sender that died leaves it to the others).
    Column("claimed_until", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("sent_at", DateTime, nullable=True),
    Column("destination", Text, nullable=True),
    Index("ix_outbox_sent_next", "sent_at", "next_attempt_at"),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("cron", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("inbox", Text, nullable=False),
    Column("record_type", String(20), nullable=False),
    Column("rows", String(10), nullable=False),
    Column("all_or_nothing", Boolean, nullable=False),
    # Stop when too much fails: "10" failed rows or "5%" of the rows; NULL: no limit.
    Column("max_failed", String(20), nullable=True),
    # Each file runs as a dry run and waits for a person to apply it.
    Column("hold_for_approval", Boolean, nullable=False, default=False, server_default=false()),
    Column("recipients", JSON, nullable=False),
    Column("run_as", String(100), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    # The last cron time a pass claimed (UTC): a schedule fires once per time, whoever runs it.
    Column("last_fired_at", DateTime, nullable=True),
    # The saved column mapping each file is read through (by name, looked up for each file).
    Column("mapping", String(100), nullable=True),
)

# Each content an inbox has received: the same bytes are never processed twice.
inbox_files = Table(
    "inbox_files",
    metadata,
    Column("schedule_name", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("batch_id", Integer, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("received_at", DateTime, nullable=False),
    PrimaryKeyConstraint("schedule_name", "sha256"),
)

# API tokens for partner systems: only each token's SHA-256 is kept, never the token.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
)

# Recent failed logins by the name typed (known or not) and by the client's address, so every
# server process throttles alike.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_name", String(100), nullable=False),
    Column("failed_at", DateTime, nullable=False),
    Column("client", String(64), nullable=True),
    Index("ix_login_failures_user_name_failed_at", "user_name", "failed_at"),
    Index("ix_login_failures_client_failed_at", "client", "failed_at"),
)

# Web sessions: the cookie carries a random id, the store only its SHA-256, so ending a session
# (logout, a new password, a lock, a disabled or removed user) ends it in every server process.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Index("ix_web_sessions_user_id", "user_id"),
)

# Housekeeping done once a day whoever does it (retention): the last time each task ran.
daily_runs = Table(
    "daily_runs",
    metadata,
    Column("task", String(50), primary_key=True),
    Column("last_run_at", DateTime, nullable=False),
)

# Secrets every server process shares, such as the key that signs session cookies.
app_secrets = Table(
    "app_secrets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Column mappings people saved by name: how a partner's file is read as a record type. The
# TOML is kept as written; headers_key (the SHA-256 of the folded headers it was made for)
# finds the mapping of a file with the same headers at once.
mappings = Table(
    "mappings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("record_type", String(20), nullable=False),
    Column("toml", Text, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("headers_key", String(64), nullable=True),
    Column("saved_by", String(100), nullable=False),
    Column("saved_at", DateTime, nullable=False),
    Index("ix_mappings_headers_key", "headers_key"),
)

# Uploads waiting at the web upload's mapping step: the file's bytes, kept only for the user who
# uploaded it and only for a while (store.held_uploads bounds them), so the person maps its
# columns without uploading it again.
held_uploads = Table(
    "held_uploads",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("user_name", String(100), nullable=False),
    Column("options", JSON, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("held_at", DateTime, nullable=False),
    Index("ix_held_uploads_user_name", "user_name"),
)
