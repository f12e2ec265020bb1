"""batches preview_of and new_preview: a dry run applied once, linked both ways

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A unique preview_of among the batches that have not failed: two requests to apply one
    # dry run, even at once, make one batch; a failed one applied nothing and holds nothing.
    # A unique index, not a constraint: SQLite adds it without rebuilding the table.
    with op.batch_alter_table('batches') as batch:
        batch.add_column(sa.Column('preview_of', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('new_preview', sa.Integer(), nullable=True))
    not_failed = sa.text("status <> 'failed'")
    op.create_index(
        'ix_batches_preview_of',
        'batches',
        ['preview_of'],
        unique=True,
        sqlite_where=not_failed,
        postgresql_where=not_failed,
    )


def downgrade() -> None:
    op.drop_index('ix_batches_preview_of', table_name='batches')
    with op.batch_alter_table('batches') as batch:
        batch.drop_column('new_preview')
        batch.drop_column('preview_of')
