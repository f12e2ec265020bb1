"""mappings: column mappings saved by name; schedules.mapping: the one a schedule reads with

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('record_type', sa.String(20), nullable=False),
        sa.Column('toml', sa.Text(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('headers_key', sa.String(64), nullable=True),
        sa.Column('saved_by', sa.String(100), nullable=False),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mappings')),
        sa.UniqueConstraint('name', name=op.f('uq_mappings_name')),
    )
    op.create_index('ix_mappings_headers_key', 'mappings', ['headers_key'])
    with op.batch_alter_table('schedules') as batch:
        batch.add_column(sa.Column('mapping', sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('schedules') as batch:
        batch.drop_column('mapping')
    op.drop_index('ix_mappings_headers_key', table_name='mappings')
    op.drop_table('mappings')
