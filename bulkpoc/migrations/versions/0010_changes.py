"""changes: what each batch did to each record, field by field; batches.changes_summary;
record_ids: on SQLite, the highest ID each record type handed out

Batches recorded before keep no change records and no summary (they cannot be undone).

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
        sa.Column('record_key', sa.String(length=320), nullable=True),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('field', sa.Text(), nullable=True),
        sa.Column('before', sa.Text(), nullable=True),
        sa.Column('after', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_changes_batch_id', 'changes', ['batch_id', 'id'])
    op.create_index('ix_changes_record', 'changes', ['record_type', 'record_key'])
    op.add_column('batches', sa.Column('changes_summary', sa.JSON(), nullable=True))
    op.create_table(
        'record_ids',
        sa.Column('record_type', sa.String(length=20), nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('record_type'),
    )


def downgrade() -> None:
    op.drop_table('record_ids')
    op.drop_column('batches', 'changes_summary')
    op.drop_index('ix_changes_record', table_name='changes')
    op.drop_index('ix_changes_batch_id', table_name='changes')
    op.drop_table('changes')
