"""changes retention: batches whose change records retention removed, and a daily claim

`bulkpoc changes prune` (and the scheduler, once a day, with `changes_retention_days` set)
removes old batches' change records and marks each batch with when and under what retention,
so an undo of it says why it can no longer run. `daily_runs` records the day a scheduler
last pruned, so several schedulers on one store prune once a day between them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends, as in 0006 and 0008; nothing was pruned before.
    op.add_column('batches', sa.Column('changes_pruned_at', sa.DateTime(), nullable=True))
    op.add_column('batches', sa.Column('changes_retention_days', sa.Integer(), nullable=True))
    op.create_table(
        'daily_runs',
        sa.Column('task', sa.String(length=50), nullable=False),
        sa.Column('last_run_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('task', name=op.f('pk_daily_runs')),
    )


def downgrade() -> None:
    op.drop_table('daily_runs')
    op.drop_column('batches', 'changes_retention_days')
    op.drop_column('batches', 'changes_pruned_at')
