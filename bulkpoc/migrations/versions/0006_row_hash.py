"""row_hash: each record's hash of its exported row, filled for the records already stored

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ('skills', 'scripts', 'chat_profiles', 'numbers', 'pocs')


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite has had ADD and DROP COLUMN since 3.35): the
    # batch mode's copy of each table would trip the foreign keys that point at it.
    for table in TABLES:
        op.add_column(table, sa.Column('row_hash', sa.BigInteger(), nullable=True))
    # The hash is what a re-upload compares with: compute it as the application does.
    from bulkpoc.domain.records import RECORD_TYPES
    from bulkpoc.store import row_hashes

    connection = op.get_bind()
    for rtype in RECORD_TYPES.values():
        row_hashes.refresh(connection, rtype)


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, 'row_hash')
