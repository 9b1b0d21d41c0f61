"""The on-call migration keeps existing data, on SQLite too, where adding the
services → escalation_policies foreign key rebuilds the services table."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from watchkeep.db.engine import Database
from watchkeep.db.migrate import is_up_to_date, upgrade

SERVICE = "INSERT INTO services (name, description, created_at) VALUES ('s', '', :t)"
INCIDENT = (
    "INSERT INTO incidents (number, title, description, service_id, urgency, status, source,"
    " created_at, created_by_name, updated_at)"
    " VALUES (1, 'disk full', '', 1, 'HIGH', 'TRIGGERED', 'API', :t, 'x', :t)"
)


def test_upgrading_a_sqlite_database_with_incidents_keeps_them(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0001")
    with db.engine.begin() as connection:
        connection.execute(text(SERVICE), {"t": "2026-01-01 00:00:00"})
        connection.execute(text(INCIDENT), {"t": "2026-01-01 00:00:00"})
    upgrade(db)
    assert is_up_to_date(db)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT title FROM incidents")).scalars().all() == [
            "disk full"
        ]
        # Foreign keys are back on for the pooled connection that ran the migration.
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()
