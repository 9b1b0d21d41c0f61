"""Alembic environment: runs on the connection `watchkeep.db.migrate` hands over."""

from alembic import context

from watchkeep.schema import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # Batch mode lets later migrations alter SQLite tables (copy-and-move).
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
connection.commit()
