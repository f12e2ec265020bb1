"""sessions: server-side web sessions, failed logins by client address, disabled users

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id_sha256', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id_sha256', name=op.f('pk_web_sessions')),
    )
    op.create_index('ix_web_sessions_user_id', 'web_sessions', ['user_id'], unique=False)
    # Plain ALTER TABLE on both backends, as 0006 does.
    op.add_column('login_failures', sa.Column('client', sa.String(length=64), nullable=True))
    op.create_index('ix_login_failures_client_failed_at', 'login_failures', ['client', 'failed_at'], unique=False)
    op.add_column('users', sa.Column('disabled_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'disabled_at')
    op.drop_index('ix_login_failures_client_failed_at', table_name='login_failures')
    op.drop_column('login_failures', 'client')
    op.drop_index('ix_web_sessions_user_id', table_name='web_sessions')
    op.drop_table('web_sessions')
