"""held_uploads: web uploads waiting at the mapping step

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'held_uploads',
        sa.Column('key', sa.String(64), nullable=False),
        sa.Column('user_name', sa.String(100), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('held_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_held_uploads')),
    )
    op.create_index('ix_held_uploads_user_name', 'held_uploads', ['user_name'])


def downgrade() -> None:
    op.drop_index('ix_held_uploads_user_name', table_name='held_uploads')
    op.drop_table('held_uploads')
