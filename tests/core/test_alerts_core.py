"""The alert core: trigger or count by dedup key, storms, and races, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from watchkeep.core import alerts, incidents, services
from watchkeep.core.actors import Actor
from watchkeep.core.alerts import AlertOutcome, Trigger
from watchkeep.core.events import EventType
from watchkeep.core.models import (
    Counter,
    Incident,
    IncidentStatus,
    Source,
    TimelineEvent,
    Urgency,
)
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime

PROMETHEUS = Actor(name="Prometheus (alertmanager)", source=Source.API)


def new_service(runtime: Runtime, name: str = "api") -> int:
    with runtime.db.write() as session:
        return services.create_service(session, name=name, now=runtime.clock.now()).id


def alert(service_id: int, dedup_key: str, count: int = 1) -> Trigger:
    return Trigger(
        service_id=service_id,
        dedup_key=dedup_key,
        title=f"{dedup_key} is failing",
        urgency=Urgency.HIGH,
        actor=PROMETHEUS,
        details={"labels": {"alertname": dedup_key}},
        count=count,
    )


def trigger(runtime: Runtime, service_id: int, dedup_key: str) -> AlertOutcome:
    while True:
        try:
            with runtime.db.write() as session:
                return alerts.trigger_alert(
                    session, alert(service_id, dedup_key), now=runtime.clock.now()
                )
        except alerts.ResolvedMeanwhileError:
            continue  # as the contract says: run the transaction again


def all_at_once(count: int, action: Callable[[int], None]) -> None:
    """`count` threads run `action(i)` from one starting line."""
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        action(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def announced(runtime: Runtime) -> list[str]:
    with runtime.db.read() as session:
        return [row.payload["type"] for row in session.scalars(select(OutboxRow))]


def test_the_first_alert_triggers_and_repeats_only_count(any_runtime: Runtime) -> None:
    service_id = new_service(any_runtime)
    first = trigger(any_runtime, service_id, "HighErrorRate")
    assert (first.created, first.number, first.alert_count) == (True, 1, 1)
    repeats = [trigger(any_runtime, service_id, "HighErrorRate") for _ in range(11)]
    assert [r.alert_count for r in repeats] == list(range(2, 13))
    assert {(r.incident_id, r.created) for r in repeats} == {(first.incident_id, False)}
    with any_runtime.db.read() as session:
        incident = incidents.get_incident(session, first.incident_id)
        assert (incident.alert_count, incident.last_alert_at) == (12, any_runtime.clock.now())
        assert incident.details == {"labels": {"alertname": "HighErrorRate"}}
        entries = incidents.timeline(session, first.incident_id)
    # One entry when the storm reaches 10 alerts, not one per repeat; only the trigger announces.
    assert [(e.type, e.data) for e in entries] == [
        ("triggered", {}),
        ("alerts_repeated", {"alert_count": 10}),
    ]
    assert announced(any_runtime) == [EventType.TRIGGERED]


def test_a_batch_counts_on_open_incidents_and_makes_the_rest_in_order(
    any_runtime: Runtime,
) -> None:
    service_id = new_service(any_runtime)
    trigger(any_runtime, service_id, "disk")
    batch = [alert(service_id, "cpu"), alert(service_id, "disk", 9), alert(service_id, "net", 3)]
    with any_runtime.db.write() as session:
        outcomes = alerts.trigger_alerts(session, batch, now=any_runtime.clock.now())
    assert [(o.number, o.created, o.alert_count) for o in outcomes] == [
        (2, True, 1),
        (1, False, 10),
        (3, True, 3),
    ]
    with any_runtime.db.read() as session:
        entries = [(e.incident_id, e.type) for e in session.scalars(select(TimelineEvent))]
    by_number = {o.number: o.incident_id for o in outcomes}
    assert sorted(entries) == sorted(
        [
            (by_number[1], "triggered"),
            (by_number[2], "triggered"),
            (by_number[3], "triggered"),
            (by_number[1], "alerts_repeated"),  # disk passed 10 alerts
        ]
    )
    assert announced(any_runtime) == [EventType.TRIGGERED] * 3


def test_the_same_key_on_another_service_is_another_incident(any_runtime: Runtime) -> None:
    api, search = new_service(any_runtime, "api"), new_service(any_runtime, "search")
    assert trigger(any_runtime, api, "disk").created
    assert trigger(any_runtime, search, "disk").created


def test_acknowledge_and_resolve_by_key_go_through_the_state_machine(
    any_runtime: Runtime,
) -> None:
    service_id = new_service(any_runtime)
    incident_id = trigger(any_runtime, service_id, "disk").incident_id
    now = any_runtime.clock.now()
    key = {"service_id": service_id, "dedup_key": "disk", "actor": PROMETHEUS, "now": now}
    with any_runtime.db.write() as session:
        assert alerts.acknowledge_alert(session, **key).status is IncidentStatus.ACKNOWLEDGED
        assert alerts.acknowledge_alert(session, **key) is None, "no longer allowed: ignored"
        assert alerts.resolve_alert(session, **key).status is IncidentStatus.RESOLVED
        assert alerts.resolve_alert(session, **key) is None, "nothing open: ignored"
        assert alerts.acknowledge_alert(session, **{**key, "dedup_key": "other"}) is None
    assert announced(any_runtime) == [
        EventType.TRIGGERED,
        EventType.ACKNOWLEDGED,
        EventType.RESOLVED,
    ]
    again = trigger(any_runtime, service_id, "disk")
    assert again.created
    assert again.incident_id != incident_id


def test_two_hundred_simultaneous_triggers_make_one_incident(racing_runtime: Runtime) -> None:
    service_id = new_service(racing_runtime)
    outcomes: list[AlertOutcome] = []
    all_at_once(200, lambda _: outcomes.append(trigger(racing_runtime, service_id, "storm")))

    assert sum(outcome.created for outcome in outcomes) == 1
    assert sorted(outcome.alert_count for outcome in outcomes) == list(range(1, 201))
    with racing_runtime.db.read() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert (incident.number, incident.alert_count) == (1, 200)
        counter = session.scalar(select(Counter.value).where(Counter.name == "incident_number"))
        assert counter == 1, "a trigger that lost the race gave its number back"
        types = [entry.type for entry in incidents.timeline(session, incident.id)]
    assert types == ["triggered", "alerts_repeated", "alerts_repeated"]
    assert announced(racing_runtime) == [EventType.TRIGGERED]


def test_racing_triggers_and_resolves_never_open_two_incidents_or_skip_numbers(
    racing_runtime: Runtime,
) -> None:
    service_id = new_service(racing_runtime)

    def trigger_or_resolve(i: int) -> None:
        if i % 4 == 3:
            with racing_runtime.db.write() as session:
                alerts.resolve_alert(
                    session,
                    service_id=service_id,
                    dedup_key="flappy",
                    actor=PROMETHEUS,
                    now=racing_runtime.clock.now(),
                )
        else:
            trigger(racing_runtime, service_id, "flappy")

    all_at_once(120, trigger_or_resolve)
    with racing_runtime.db.read() as session:
        made = session.scalars(select(Incident).order_by(Incident.number)).all()
        total = session.scalar(select(func.sum(Incident.alert_count)))
    assert total == 90, "every trigger counted exactly once"
    assert [incident.number for incident in made] == list(range(1, len(made) + 1))
    assert sum(incident.status is not IncidentStatus.RESOLVED for incident in made) <= 1
