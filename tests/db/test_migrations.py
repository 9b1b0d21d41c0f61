"""Migrations build the schema the models describe, from empty, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from watchkeep.db.engine import Database
from watchkeep.db.migrate import (
    alembic_config,
    current_revisions,
    head_revisions,
    is_up_to_date,
    upgrade,
)
from watchkeep.schema import Base

from support import create_postgres_database, drop_postgres_database, postgres_unavailable_reason


def schema_differences(db: Database) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def assert_schema_matches_models(db: Database) -> None:
    assert schema_differences(db) == []


def outbox_ordering_columns(db: Database) -> list[str]:
    indexes = inspect(db.engine).get_indexes("outbox")
    return next(i["column_names"] for i in indexes if i["name"] == "ix_outbox_ordering")


def upgrade_a_database_made_before_the_outbox_index_fix(db: Database) -> None:
    """0001 as released made `ix_outbox_ordering` on (ordering_key, id); it was edited
    afterwards. Such a database must reach the same schema as a fresh one."""
    upgrade(db, "0005")
    with db.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_outbox_ordering"))
        connection.execute(text("CREATE INDEX ix_outbox_ordering ON outbox (ordering_key, id)"))
    assert outbox_ordering_columns(db) == ["ordering_key", "id"]
    assert schema_differences(db) != [], "the old index differs from the models"
    upgrade(db)
    assert is_up_to_date(db)
    assert outbox_ordering_columns(db) == ["ordering_key", "state", "id"]
    assert_schema_matches_models(db)


def test_sqlite_from_empty(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert not is_up_to_date(db)
    upgrade(db)
    assert current_revisions(db) == head_revisions(db)
    assert_schema_matches_models(db)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    upgrade(db)  # a second run is a no-op
    assert is_up_to_date(db)


@pytest.mark.postgres
def test_postgresql_from_empty(pg_database: str) -> None:
    if reason := postgres_unavailable_reason():
        pytest.skip(reason)
    url = create_postgres_database()
    try:
        db = Database(url.render_as_string(hide_password=False))
        assert inspect(db.engine).get_table_names() == []
        upgrade(db)
        assert is_up_to_date(db)
        assert_schema_matches_models(db)
        db.dispose()
    finally:
        drop_postgres_database(url)


def test_sqlite_made_before_the_outbox_index_fix_upgrades_to_the_fresh_schema(
    tmp_path: Path,
) -> None:
    upgrade_a_database_made_before_the_outbox_index_fix(
        Database(f"sqlite:///{tmp_path / 'old.db'}")
    )


@pytest.mark.postgres
def test_postgresql_made_before_the_outbox_index_fix_upgrades_to_the_fresh_schema(
    pg_database: str,
) -> None:
    url = create_postgres_database()
    try:
        db = Database(url.render_as_string(hide_password=False))
        upgrade_a_database_made_before_the_outbox_index_fix(db)
        db.dispose()
    finally:
        drop_postgres_database(url)


def test_migrations_form_one_line_numbered_in_order(tmp_path: Path) -> None:
    """Branches merged at once must be re-chained: one head, each revision after the last."""
    scripts = ScriptDirectory.from_config(alembic_config(Database(f"sqlite:///{tmp_path}/x.db")))
    chain = [script.revision for script in scripts.walk_revisions("base", "heads")]
    assert len(scripts.get_heads()) == 1
    assert chain[::-1] == [f"{n:04d}" for n in range(1, len(chain) + 1)]
