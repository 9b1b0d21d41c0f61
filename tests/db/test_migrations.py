"""Migrations build the schema the models describe, from empty, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from watchkeep.db.engine import Database
from watchkeep.db.migrate import current_revisions, head_revisions, is_up_to_date, upgrade
from watchkeep.schema import Base

from support import create_postgres_database, drop_postgres_database, postgres_unavailable_reason


def assert_schema_matches_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


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
