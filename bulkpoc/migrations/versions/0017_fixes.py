"""batches fixes: a batch of fixed failed rows, linked to the batch whose rows it fixes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not unique: a batch may be fixed more than once (the first fix still failed, or ran dry).
    with op.batch_alter_table('batches') as batch:
        batch.add_column(sa.Column('fixes', sa.Integer(), nullable=True))
    op.create_index('ix_batches_fixes', 'batches', ['fixes'])


def downgrade() -> None:
    op.drop_index('ix_batches_fixes', table_name='batches')
    with op.batch_alter_table('batches') as batch:
        batch.drop_column('fixes')
