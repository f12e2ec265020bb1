"""jobs: queued batches with their files, progress and workers; schedules, inboxes, outbox

On PostgreSQL this also creates procrastinate's job-queue schema, so `bulkpoc init` prepares
everything `bulkpoc worker` needs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('batches') as batch:
        batch.add_column(sa.Column('schedule_name', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('submitted_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('stage', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('stage_done', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('stage_total', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('stage_detail', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('worker', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('inbox_path', sa.Text(), nullable=True))
        batch.alter_column('started_at', existing_type=sa.DateTime(), nullable=True)
    op.execute("UPDATE batches SET submitted_at = started_at")
    with op.batch_alter_table('batches') as batch:
        batch.alter_column('submitted_at', existing_type=sa.DateTime(), nullable=False)

    op.create_table(
        'files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_files')),
    )
    op.create_table(
        'batch_files',
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_batch_files_batch_id_batches'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('batch_id', 'kind', name=op.f('pk_batch_files')),
    )
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('message', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('destination', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_outbox_batch_id_batches'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    )
    op.create_index('ix_outbox_sent_next', 'outbox', ['sent_at', 'next_attempt_at'], unique=False)
    op.create_table(
        'schedules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('cron', sa.String(length=100), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('inbox', sa.Text(), nullable=False),
        sa.Column('record_type', sa.String(length=20), nullable=False),
        sa.Column('rows', sa.String(length=10), nullable=False),
        sa.Column('all_or_nothing', sa.Boolean(), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('run_as', sa.String(length=100), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_fired_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules')),
        sa.UniqueConstraint('name', name=op.f('uq_schedules_name')),
    )
    op.create_table(
        'inbox_files',
        sa.Column('schedule_name', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_inbox_files_batch_id_batches'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('schedule_name', 'sha256', name=op.f('pk_inbox_files')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        from procrastinate.schema import SchemaManager

        # Through the driver with no parameters, so the schema's own '%' signs stay as written.
        cursor = op.get_bind().connection.cursor()
        cursor.execute(SchemaManager.get_schema())
        cursor.close()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers, procrastinate_version CASCADE"
        )
    op.drop_table('inbox_files')
    op.drop_table('schedules')
    op.drop_index('ix_outbox_sent_next', table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('batch_files')
    op.drop_table('files')
    with op.batch_alter_table('batches') as batch:
        for name in ('inbox_path', 'heartbeat_at', 'worker', 'stage_detail', 'stage_total',
                     'stage_done', 'stage', 'submitted_at', 'schedule_name'):
            batch.drop_column(name)
        batch.alter_column('started_at', existing_type=sa.DateTime(), nullable=False)
