"""batches.removed and batches.reverts: what an undo removed, and which batch it undid

`reverts` is unique, so the database itself refuses a second undo of a batch, whatever races.
Batches recorded before removed nothing and undid nothing.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends, as in 0006 and 0008: batch mode's copy of the table
    # would trip the foreign keys that point at it. A unique index, not a constraint, for the
    # same reason (SQLite adds no constraint to an existing table).
    op.add_column(
        'batches', sa.Column('removed', sa.Integer(), nullable=False, server_default='0')
    )
    op.add_column('batches', sa.Column('reverts', sa.Integer(), nullable=True))
    op.create_index('ix_batches_reverts', 'batches', ['reverts'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_batches_reverts', table_name='batches')
    op.drop_column('batches', 'reverts')
    op.drop_column('batches', 'removed')
