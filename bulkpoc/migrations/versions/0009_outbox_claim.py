"""outbox claimed_until: a sender's claim on a message, apart from its next attempt

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A claim used to move next_attempt_at, which `outbox send --all-pending` ignores, so a
    # second sender took a message the first was still sending. Nothing is claimed during an
    # upgrade: the column starts empty.
    op.add_column('outbox', sa.Column('claimed_until', sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('outbox', 'claimed_until')
