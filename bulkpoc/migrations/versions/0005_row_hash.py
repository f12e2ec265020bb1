"""row_hash: each record's hash of its exported row, filled for the records already stored

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = ('skills', 'scripts', 'chat_profiles', 'numbers', 'pocs')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('row_hash', sa.BigInteger(), nullable=True))
    # The hash is what a re-upload compares with: compute it as the application does.
    from bulkpoc import rowhash
    from bulkpoc.records import RECORD_TYPES

    connection = op.get_bind()
    for rtype in RECORD_TYPES.values():
        rowhash.refresh(connection, rtype)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('row_hash')
