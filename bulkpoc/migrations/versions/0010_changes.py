"""changes: STUB of the lead's change-records table (reverted when main has it)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('row', sa.Integer(), nullable=True),
        sa.Column('record_type', sa.String(length=20), nullable=False),
        sa.Column('record_key', sa.String(length=320), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('field', sa.String(length=100), nullable=True),
        sa.Column('before', sa.Text(), nullable=True),
        sa.Column('after', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_changes')),
    )
    op.create_index('ix_changes_batch_id_id', 'changes', ['batch_id', 'id'])
    op.create_index('ix_changes_record_type_record_key', 'changes', ['record_type', 'record_key'])


def downgrade() -> None:
    op.drop_table('changes')
