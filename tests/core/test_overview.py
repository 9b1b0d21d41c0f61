"""Overviews for slash commands: open incidents and counts by status."""

from __future__ import annotations

from watchkeep.core import overview, services, transitions
from watchkeep.core.access import EVERYTHING
from watchkeep.core.actors import Actor
from watchkeep.core.incidents import create_incident
from watchkeep.core.models import IncidentStatus, Urgency
from watchkeep.runtime import Runtime


def test_open_incidents_and_counts_by_status(runtime: Runtime) -> None:
    now, actor = runtime.clock.now(), Actor.system()
    with runtime.db.write() as session:
        web = services.create_service(session, name="web", now=now)
        db = services.create_service(session, name="db", now=now)
        made = [
            create_incident(
                session,
                title=f"i{n}",
                service_id=(web if n % 2 else db).id,
                urgency=Urgency.HIGH,
                actor=actor,
                now=now,
            )[0]
            for n in range(5)
        ]
        transitions.acknowledge(session, made[1].id, actor, now=now)
        transitions.resolve(session, made[2].id, actor, now=now)
        transitions.snooze(session, made[3].id, actor, now=now, until=now.replace(hour=23))
    with runtime.db.read() as session:
        found, total = overview.open_incidents(session, EVERYTHING, limit=2)
        assert total == 4
        assert [i.title for i in found] == ["i4", "i3"]
        assert overview.counts_by_status(session, EVERYTHING) == {
            IncidentStatus.TRIGGERED: 2,
            IncidentStatus.ACKNOWLEDGED: 1,
            IncidentStatus.SNOOZED: 1,
            IncidentStatus.RESOLVED: 1,
        }
        assert overview.counts_by_status(session, EVERYTHING, service_ids=[web.id]) == {
            IncidentStatus.TRIGGERED: 0,
            IncidentStatus.ACKNOWLEDGED: 1,
            IncidentStatus.SNOOZED: 1,
            IncidentStatus.RESOLVED: 0,
        }
        found, _ = overview.open_incidents(session, EVERYTHING, service_ids=[db.id])
        assert {i.title for i in found} == {
            "i0",
            "i4",
        }
