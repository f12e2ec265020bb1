"""Table definitions. The Alembic migrations create exactly this schema (tested)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Every *_key column holds the case-folded form its uniqueness is enforced on.

skills = Table(
    "skills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("media_type", String(20), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("last_modified", DateTime, nullable=False),
)

scripts = Table(
    "scripts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("media_type", String(20), nullable=False),
    Column("last_modified", DateTime, nullable=False),
)

chat_profiles = Table(
    "chat_profiles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("last_modified", DateTime, nullable=False),
)

numbers = Table(
    "numbers",
    metadata,
    Column("phone_number", String(16), primary_key=True),
    Column("voice", Boolean, nullable=False),
    Column("sms", Boolean, nullable=False),
    Column("last_modified", DateTime, nullable=False),
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
    UniqueConstraint("media_type", "address_key"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("email", String(320), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("created_at", DateTime, nullable=False),
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
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("status", String(30), nullable=False),
    Column("total", Integer, nullable=False, default=0),
    Column("processed", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("failure", Text, nullable=True),
    Column("failure_code", String(40), nullable=True),
    Column("warnings", JSON, nullable=False),
    Column("report_path", Text, nullable=True),
    Column("error_file_path", Text, nullable=True),
    Column("email_path", Text, nullable=True),
    Index("ix_batches_status_started", "status", "started_at"),
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
