"""Alembic environment: migrations run on the connection that bot.store.db.upgrade passes in."""

from alembic import context

from bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `nof-bot db upgrade`, not the alembic command")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
