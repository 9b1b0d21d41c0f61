"""Storms over HTTP: hundreds of simultaneous alerts with one dedup key, on both databases."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from watchkeep.app import create_app
from watchkeep.core import incidents, services
from watchkeep.core.models import Incident
from watchkeep.ingest import integrations
from watchkeep.ingest.models import IntegrationType
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime

from ingest_support import alertmanager_alert, alertmanager_notification, pdpyras_trigger


def routing_keys(runtime: Runtime, count: int, kind: IntegrationType) -> list[str]:
    """`count` integrations of one service, as if several tools watched the same thing."""
    now = runtime.clock.now()
    with runtime.db.write() as session:
        service = services.create_service(session, name="checkout", now=now)
        return [
            integrations.create_integration(
                session,
                service_id=service.id,
                integration_type=kind,
                name=f"tool {n}",
                now=now,
            )[1]
            for n in range(count)
        ]


def post_at_once(runtime: Runtime, requests: list[tuple[str, dict]]) -> list[int]:
    """Every request in flight together, spread over four apps on one database as over
    four web processes: each app's writer batches its own, and the four race."""

    async def storm() -> list[int]:
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(runtime, run_worker=False)),
                base_url="http://test",
            )
            for _ in range(4)
        ]
        answers = await asyncio.gather(
            *(
                clients[n % len(clients)].post(path, json=body)
                for n, (path, body) in enumerate(requests)
            )
        )
        for client in clients:
            await client.aclose()
        return [answer.status_code for answer in answers]

    return asyncio.run(storm())


def open_incidents(runtime: Runtime) -> list[Incident]:
    with runtime.db.read() as session:
        return list(session.scalars(select(Incident)))


def test_two_hundred_simultaneous_triggers_with_one_key_make_one_incident(
    racing_runtime: Runtime,
) -> None:
    [key] = routing_keys(racing_runtime, 1, IntegrationType.EVENTS_API_V2)
    event = pdpyras_trigger(key, "Checkout 502s", "lb-1", dedup_key="checkout-502")

    assert post_at_once(racing_runtime, [("/v2/enqueue", event)] * 200) == [202] * 200

    [incident] = open_incidents(racing_runtime)
    assert (incident.number, incident.alert_count) == (1, 200)
    with racing_runtime.db.read() as session:
        announced = session.scalars(select(OutboxRow)).all()
        types = [entry.type for entry in incidents.timeline(session, incident.id)]
    assert [row.payload["type"] for row in announced] == ["incident.triggered"]
    assert types == ["triggered", "alerts_repeated", "alerts_repeated"]


def test_several_tools_racing_on_one_key_still_make_one_incident(
    racing_runtime: Runtime,
) -> None:
    # Separate integrations do not queue behind one another's row (where their rate is
    # counted), so here the incidents' unique index alone settles the race.
    keys = routing_keys(racing_runtime, 4, IntegrationType.ALERTMANAGER)
    notification = alertmanager_notification(alertmanager_alert("5e5e5e5e5e5e5e5e"))
    requests = [(f"/ingest/alertmanager/{key}", notification) for key in keys] * 50

    assert post_at_once(racing_runtime, requests) == [202] * 200

    [incident] = open_incidents(racing_runtime)
    assert (incident.number, incident.alert_count) == (1, 200)
