"""batches.timings: the seconds each stage of a batch took, kept with its result

So that `GET /api/v1/batches/{id}` (and any process that loads a result) shows the same
`timings` as `bulkpoc import --json`. Batches recorded before have none (an empty object).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends, as in 0006: batch mode's copy of the table would trip
    # the foreign keys that point at it.
    op.add_column('batches', sa.Column('timings', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('batches', 'timings')
