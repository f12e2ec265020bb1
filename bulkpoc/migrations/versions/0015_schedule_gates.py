"""schedules max_failed and hold_for_approval: stop when too much fails, hold for approval

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('schedules') as batch:
        batch.add_column(sa.Column('max_failed', sa.String(20), nullable=True))
        batch.add_column(
            sa.Column(
                'hold_for_approval', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('schedules') as batch:
        batch.drop_column('hold_for_approval')
        batch.drop_column('max_failed')
