"""SLA stories: due times on the incident, a breach once per missed target, met targets quiet."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from watchkeep.core.events import DomainEvent
from watchkeep.outbox import JobKind, queries
from watchkeep.runtime import Runtime

from oncall_support import build_world, drain
from support import FrozenClock

if TYPE_CHECKING:
    # For annotations only: when the whole suite runs, the module `conftest` may by
    # then be tests/fakeslack's, depending on collection order.
    from conftest import Api


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_due_times_show_at_once_and_a_missed_acknowledgement_is_said_once(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    seen: list[DomainEvent] = []
    runtime.bus.subscribe(lambda session, event, now: seen.append(event))
    world = build_world(admin_api, clock, ack_sla_minutes=15, resolve_sla_minutes=60)
    start = clock.now()
    incident = world.trigger()
    expected = {
        "ack_due_at": iso(start + timedelta(minutes=15)),
        "resolve_due_at": iso(start + timedelta(minutes=60)),
        "ack_breached_at": None,
        "resolve_breached_at": None,
    }
    # Before the worker has run: the due times it will fix.
    assert world.incident(incident)["sla"] == expected
    drain(runtime)
    assert world.incident(incident)["sla"] == expected
    clock.advance(minutes=14, seconds=59)
    drain(runtime)
    assert world.timeline(incident, "sla_breached") == []
    clock.advance(seconds=1)
    drain(runtime)
    [breach] = world.timeline(incident, "sla_breached")
    assert breach["message"] == (
        "Acknowledge SLA missed: not acknowledged within 15 minutes (due 2026-03-02 09:15 UTC)"
    )
    assert breach["data"] == {
        "target": "acknowledge",
        "minutes": 15,
        "due_at": (start + timedelta(minutes=15)).isoformat(),
    }
    assert breach["source"] == "system"
    assert world.incident(incident)["sla"]["ack_breached_at"] == iso(clock.now())
    assert [e.timeline_event_id for e in seen if e.type == "incident.sla_breached"] == [
        breach["id"]
    ]
    # Acknowledged late, resolved in time: nothing more.
    world.act(incident, "acknowledge")
    clock.advance(minutes=30)
    world.act(incident, "resolve")
    clock.advance(hours=2)
    drain(runtime)
    assert len(world.timeline(incident, "sla_breached")) == 1
    assert world.incident(incident)["sla"]["resolve_breached_at"] is None


def test_targets_met_in_time_stay_quiet_and_a_late_resolution_is_a_breach(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, ack_sla_minutes=15, resolve_sla_minutes=60)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=15)  # acknowledged exactly at the due time: met
    world.act(incident, "acknowledge")
    clock.advance(minutes=45)
    drain(runtime)
    [breach] = world.timeline(incident, "sla_breached")
    assert breach["data"]["target"] == "resolve"
    sla = world.incident(incident)["sla"]
    assert (sla["ack_breached_at"], sla["resolve_breached_at"]) == (None, iso(clock.now()))


def test_resolving_without_acknowledging_meets_the_acknowledge_target(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, ack_sla_minutes=15, resolve_sla_minutes=60)
    incident = world.trigger()
    clock.advance(minutes=3)
    world.act(incident, "resolve")
    clock.advance(hours=3)
    drain(runtime)
    assert world.timeline(incident, "sla_breached") == []


def test_snoozing_does_not_meet_the_acknowledge_target(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, ack_sla_minutes=15)
    incident = world.trigger()
    world.act(incident, "snooze", {"minutes": 60})
    clock.advance(minutes=15)
    drain(runtime)
    assert [b["data"]["target"] for b in world.timeline(incident, "sla_breached")] == [
        "acknowledge"
    ]


def test_a_late_acknowledgement_seen_by_a_lagging_worker_is_still_a_breach(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, ack_sla_minutes=15)
    incident = world.trigger()
    drain(runtime)
    clock.advance(minutes=20)  # the worker was down when the target fell due
    world.act(incident, "acknowledge")
    drain(runtime)
    assert [b["data"]["target"] for b in world.timeline(incident, "sla_breached")] == [
        "acknowledge"
    ]


def test_reopening_neither_rearms_nor_clears_the_targets(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, ack_sla_minutes=15, resolve_sla_minutes=60)
    incident = world.trigger()
    clock.advance(minutes=5)
    world.act(incident, "resolve")
    world.act(incident, "reopen")
    clock.advance(hours=2)
    drain(runtime)
    assert world.timeline(incident, "sla_breached") == []


def test_a_service_without_targets_has_no_due_times_and_no_timers(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock)
    incident = world.trigger()
    drain(runtime)
    assert world.incident(incident)["sla"] == {
        "ack_due_at": None,
        "resolve_due_at": None,
        "ack_breached_at": None,
        "resolve_breached_at": None,
    }
    with runtime.db.read() as session:
        assert queries.pending_count(session, kind=JobKind.SLA_CHECK) == 0
    # Targets set later apply to incidents triggered later, not to this one.
    admin_api.patch(f"/api/v1/services/{world.service_id}", {"ack_sla_minutes": 5})
    assert world.incident(incident)["sla"]["ack_due_at"] is None
    later = world.trigger()
    assert world.incident(later)["sla"]["ack_due_at"] == iso(clock.now() + timedelta(minutes=5))


def test_the_incident_list_shows_each_sla(
    runtime: Runtime, clock: FrozenClock, admin_api: Api
) -> None:
    world = build_world(admin_api, clock, ack_sla_minutes=15)
    first = world.trigger()
    drain(runtime)
    clock.advance(minutes=15)
    drain(runtime)
    world.trigger()  # not yet seen by the worker
    items = admin_api.get("/api/v1/incidents").json()["items"]
    assert [i["sla"]["ack_breached_at"] for i in items] == [None, iso(clock.now())]
    assert items[0]["sla"]["ack_due_at"] == iso(clock.now() + timedelta(minutes=15))
    assert items[1]["id"] == first
