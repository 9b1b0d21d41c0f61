"""Alembic, driven from code: `watchkeep migrate`, and `serve` on the embedded default."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from watchkeep.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do: it keeps two `migrate` runs on PostgreSQL from racing.
_ADVISORY_LOCK = 7_041_977


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database"] = db
    return config


def upgrade(db: Database, revision: str = "heads") -> None:
    config = alembic_config(db)
    with db.engine.connect() as connection:
        if db.is_sqlite:
            _sqlite_foreign_keys(connection, on=False)
        else:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_LOCK})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            before = set(MigrationContext.configure(connection).get_current_heads())
            command.upgrade(config, revision)
            if set(MigrationContext.configure(connection).get_current_heads()) != before:
                refresh_statistics(db, connection)
        finally:
            if db.is_sqlite:
                _sqlite_foreign_keys(connection, on=True)
            else:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK})
                connection.commit()


def refresh_statistics(db: Database, connection: Connection) -> None:
    """Give the query planner fresh statistics after the schema changed.

    A new index is only chosen well once the planner knows how selective it is: on
    SQLite without statistics a status filter may sort every match instead of reading
    the (status, id) index in order. SQLite's ANALYZE samples at most
    `analysis_limit` rows per index, so it stays quick on a large database.
    """
    connection.commit()
    if db.is_sqlite:
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
    connection.exec_driver_sql("ANALYZE")
    connection.commit()


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Batch mode alters a SQLite table by copying it, dropping the original and renaming
    the copy. With foreign keys on, that DROP deletes the table's rows first and fires
    ON DELETE CASCADE: rebuilding `services` would delete every incident. So migrations
    run with them off (only settable outside a transaction, hence on the driver
    connection), and the result is checked before they go back on."""
    raw = connection.connection.driver_connection
    assert raw is not None
    if on:
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        raw.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"migration left rows violating foreign keys: {broken[:5]}")
    else:
        raw.execute("PRAGMA foreign_keys=OFF")


def current_revisions(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


@cache
def shipped_heads() -> frozenset[str]:
    """The revisions this code's migrations end at (they cannot change while it runs)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def head_revisions(db: Database) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(db)).get_heads())


def is_up_to_date(db: Database) -> bool:
    return current_revisions(db) == head_revisions(db)


def is_empty(db: Database) -> bool:
    """True for a database with no tables at all: nothing a migration could disturb."""
    return not inspect(db.engine).get_table_names()
