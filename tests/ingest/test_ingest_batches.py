"""Group commit: requests applied together, yet each whole or not at all, and in order."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from watchkeep.core import services
from watchkeep.core.models import Incident, IncidentStatus
from watchkeep.ingest import intake, integrations
from watchkeep.ingest.admission import IngestRequest
from watchkeep.ingest.alert import AlertAction, AlertEvent
from watchkeep.ingest.errors import BadEventError, UnknownKeyError
from watchkeep.ingest.models import IntegrationType
from watchkeep.ingest.writer import IngestWriter
from watchkeep.runtime import Runtime

EVENTS = IntegrationType.EVENTS_API_V2


def new_key(runtime: Runtime, **fields: Any) -> str:
    now = runtime.clock.now()
    with runtime.db.write() as session:
        service = services.get_service_by_name(session, "api") or services.create_service(
            session, name="api", now=now
        )
        return integrations.create_integration(
            session, service_id=service.id, integration_type=EVENTS, name="tool", now=now, **fields
        )[1]


def request(key: str, *alerts: tuple[str, str]) -> IngestRequest:
    """A request carrying (action, dedup key) alerts."""
    events = [
        AlertEvent(action=AlertAction(action), dedup_key=dedup_key, summary=f"{dedup_key} down")
        for action, dedup_key in alerts
    ]
    return IngestRequest(key, EVENTS, lambda _config: events)


def incidents(runtime: Runtime) -> list[tuple[int, str, IncidentStatus, int]]:
    with runtime.db.read() as session:
        found = session.scalars(select(Incident).order_by(Incident.number))
        return [(i.number, str(i.dedup_key), i.status, i.alert_count) for i in found]


def outcomes(answer: list[intake.Result] | Exception) -> list[tuple[str, int | None]] | str:
    if isinstance(answer, Exception):
        return type(answer).__name__
    return [(result.outcome, result.incident_number) for result in answer]


def test_a_batch_folds_each_keys_storm_into_one_count(any_runtime: Runtime) -> None:
    key = new_key(any_runtime)
    batch = [request(key, ("trigger", "disk"), ("trigger", "cpu"))] + [
        request(key, ("trigger", "disk"))
    ] * 30
    answers = intake.ingest(any_runtime, batch)
    assert outcomes(answers[0]) == [("triggered", 1), ("triggered", 2)]
    assert {outcomes(answer)[0] for answer in answers[1:]} == {("repeated", 1)}
    assert incidents(any_runtime) == [
        (1, "disk", IncidentStatus.TRIGGERED, 31),
        (2, "cpu", IncidentStatus.TRIGGERED, 1),
    ]


def test_a_key_the_batch_also_resolves_keeps_its_order(any_runtime: Runtime) -> None:
    key = new_key(any_runtime)
    batch = [
        request(key, ("trigger", "disk"), ("trigger", "disk")),
        request(key, ("resolve", "disk")),
        request(key, ("trigger", "disk"), ("acknowledge", "disk")),
    ]
    answers = intake.ingest(any_runtime, batch)
    assert [outcomes(answer) for answer in answers] == [
        [("triggered", 1), ("repeated", 1)],
        [("resolved", 1)],
        [("triggered", 2), ("acknowledged", 2)],
    ]
    assert incidents(any_runtime) == [
        (1, "disk", IncidentStatus.RESOLVED, 2),
        (2, "disk", IncidentStatus.ACKNOWLEDGED, 1),
    ]


def test_refused_requests_write_nothing_and_the_rest_commit(any_runtime: Runtime) -> None:
    key = new_key(any_runtime, rate_limit_per_minute=3)

    def unreadable(_config: dict) -> list[AlertEvent]:
        raise BadEventError([("title", "missing or blank")])

    batch = [
        request(key, ("trigger", "a"), ("trigger", "b")),
        request("0" * 32, ("trigger", "c")),
        request(key[:12] + "0" * 20, ("trigger", "d")),
        IngestRequest(key, EVENTS, unreadable),
        request(key, ("trigger", "e"), ("trigger", "f")),  # 4 > 3 a minute
        request(key, ("trigger", "g")),
    ]
    answers = intake.ingest(any_runtime, batch)
    assert [outcomes(answer) for answer in answers] == [
        [("triggered", 1), ("triggered", 2)],
        "UnknownKeyError",
        "UnknownKeyError",
        "BadEventError",
        "RateLimitedError",
        [("triggered", 3)],
    ]
    assert [dedup_key for _, dedup_key, _, _ in incidents(any_runtime)] == ["a", "b", "g"]
    refused = intake.ingest(any_runtime, [request(key, ("trigger", "h"))])
    assert outcomes(refused[0]) == "RateLimitedError", "the admitted three filled the minute"


def test_the_writer_answers_each_request_and_isolates_a_failing_one(runtime: Runtime) -> None:
    key = new_key(runtime)
    writer = IngestWriter(runtime)

    def broken(_config: dict) -> list[AlertEvent]:
        raise RuntimeError("a bug in a reader")

    async def together() -> list[list[intake.Result] | BaseException]:
        return await asyncio.gather(
            writer.apply(request(key, ("trigger", "disk"))),
            writer.apply(IngestRequest(key, EVENTS, broken)),
            writer.apply(request("f" * 32, ("trigger", "cpu"))),
            writer.apply(request(key, ("trigger", "disk"))),
            return_exceptions=True,
        )

    first, failed, unknown, last = asyncio.run(together())
    assert sorted(outcomes(first) + outcomes(last)) == [("repeated", 1), ("triggered", 1)]
    assert isinstance(failed, RuntimeError)
    assert isinstance(unknown, UnknownKeyError)
    assert incidents(runtime) == [(1, "disk", IncidentStatus.TRIGGERED, 2)]
