"""Alembic environment: runs on the connection the store hands over in ``config.attributes``."""

from alembic import context

from bulkpoc.store.schema import is_ours, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_name=lambda name, kind, _parents: kind != "table" or is_ours(name),
)
with context.begin_transaction():
    context.run_migrations()
