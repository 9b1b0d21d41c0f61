"""Incident lists stay flat as history grows: each status is read from the
(status, id) index newest first, several statuses are merged from a page's worth
of each, and deep pages follow a keyset (`before`) instead of an offset."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text

from watchkeep.core import incidents, overview, services
from watchkeep.core.access import EVERYTHING
from watchkeep.core.incidents import IncidentFilter
from watchkeep.core.models import Incident, IncidentStatus, Urgency
from watchkeep.db import migrate
from watchkeep.db.engine import Database
from watchkeep.runtime import Runtime

T, A, S, R = (
    IncidentStatus.TRIGGERED,
    IncidentStatus.ACKNOWLEDGED,
    IncidentStatus.SNOOZED,
    IncidentStatus.RESOLVED,
)
# A repeating pattern of statuses, so every status is spread through the history.
PATTERN = [T, R, A, R, R, S, T, R, A, T, R, R]


def seed(runtime: Runtime, count: int) -> dict[int, IncidentStatus]:
    """`count` incidents, statuses from PATTERN, urgency alternating; answers id → status."""
    now = runtime.clock.now()
    with runtime.db.write() as db:
        service_id = services.create_service(db, name="checkout", now=now).id
        rows = [
            {
                "number": n,
                "title": f"Incident {n}",
                "description": "",
                "service_id": service_id,
                "urgency": Urgency.HIGH if n % 2 else Urgency.LOW,
                "status": PATTERN[n % len(PATTERN)],
                "source": "api",
                "created_at": now - timedelta(minutes=count - n),
                "updated_at": now,
                "created_by_name": "Watchkeep",
            }
            for n in range(1, count + 1)
        ]
        db.execute(insert(Incident), rows)
        found = db.execute(text("SELECT id, status FROM incidents")).all()
    return {row.id: IncidentStatus(row.status) for row in found}


def walk(runtime: Runtime, where: IncidentFilter, limit: int) -> list[int]:
    """Every id the filter lists, page after page by keyset."""
    seen: list[int] = []
    before = None
    while True:
        with runtime.db.read() as db:
            page, total = incidents.list_incidents(
                db, where, scope=EVERYTHING, limit=limit, before=before
            )
        seen += [incident.id for incident in page]
        if len(page) < limit:
            return seen
        before = page[-1].id
        assert total >= len(seen)


def test_keyset_pages_list_every_match_once_newest_first(any_runtime: Runtime) -> None:
    statuses = seed(any_runtime, 130)
    for chosen in [(T,), (T, A, S), (A, R), ()]:
        expected = sorted(
            (i for i, s in statuses.items() if not chosen or s in chosen), reverse=True
        )
        assert walk(any_runtime, IncidentFilter(statuses=chosen), limit=7) == expected, chosen


def test_offsets_still_page_and_combine_with_other_filters(any_runtime: Runtime) -> None:
    seed(any_runtime, 60)
    where = IncidentFilter(statuses=(T, S), urgencies=(Urgency.HIGH,))
    with any_runtime.db.read() as db:
        first, total = incidents.list_incidents(db, where, scope=EVERYTHING, limit=5, offset=0)
        second, _ = incidents.list_incidents(db, where, scope=EVERYTHING, limit=5, offset=5)
        every = db.execute(text("SELECT id, status, urgency FROM incidents")).all()
    expected = sorted(
        (
            row.id
            for row in every
            if row.status in ("TRIGGERED", "SNOOZED") and row.urgency == "HIGH"
        ),
        reverse=True,
    )
    assert total == len(expected)
    assert [i.id for i in first] + [i.id for i in second] == expected[:10]


def test_the_slash_commands_open_list_is_the_same_query(any_runtime: Runtime) -> None:
    statuses = seed(any_runtime, 50)
    with any_runtime.db.read() as db:
        found, total = overview.open_incidents(db, EVERYTHING, limit=5)
    open_ids = sorted((i for i, s in statuses.items() if s != R), reverse=True)
    assert ([i.id for i in found], total) == (open_ids[:5], len(open_ids))


def test_a_status_page_is_read_from_the_index_without_sorting(runtime: Runtime) -> None:
    """SQLite's plan for one status walks ix_incidents_status_id; no temporary B-tree
    sorts the matches (what made the list 5x slower at 100k incidents)."""
    seed(runtime, 200)
    query = incidents._page_query(IncidentFilter(statuses=(T,)), EVERYTHING, 50, 0, None)
    sql = str(query.compile(runtime.db.engine, compile_kwargs={"literal_binds": True}))
    with runtime.db.engine.connect() as connection:
        plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    assert any("ix_incidents_status_id" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_postgresql_merges_the_open_statuses_from_the_index(pg_runtime: Runtime) -> None:
    seed(pg_runtime, 200)
    with pg_runtime.db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE incidents")
    query = incidents._page_query(IncidentFilter(statuses=(T, A, S)), EVERYTHING, 50, 0, None)
    sql = str(query.compile(pg_runtime.db.engine, compile_kwargs={"literal_binds": True}))
    with pg_runtime.db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
    # Each status yields its newest rows in order, merged: no node sorts the matches.
    assert "Merge Append" in plan, plan
    assert plan.count("Limit") == 4, plan
    assert not re.search(r"->\s+Sort\s", plan), plan


def test_a_migration_leaves_statistics_for_the_planner(tmp_path: Path) -> None:
    """An upgrade that changed the schema runs ANALYZE: the planner then knows how
    selective the new index is on the data already there."""
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(db, "0010")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO services (name, description, created_at) VALUES ('a', '', '2026-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO incidents (number, title, description, service_id, urgency, status,"
            " source, created_at, updated_at, created_by_name, alert_count)"
            " VALUES (1, 't', '', 1, 'HIGH', 'TRIGGERED', 'API', '2026-01-01', '2026-01-01',"
            " 'x', 0)"
        )
    migrate.upgrade(db)
    with db.engine.connect() as connection:
        stats = connection.exec_driver_sql("SELECT idx FROM sqlite_stat1 WHERE tbl='incidents'")
        assert "ix_incidents_status_id" in set(stats.scalars())
    db.dispose()
