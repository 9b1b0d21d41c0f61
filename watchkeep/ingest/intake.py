"""One ingest request, in one short write transaction: admit the key, apply its alerts.

Admission is a single UPDATE … RETURNING on the integration's row: it finds the
row by the key's public part, counts the request's alerts in the row's
one-minute window (so every web process shares the limit), and answers what
the alerts need; the key's digest is then compared in constant time. A refused
request (unknown key, over the limit, a body the integration cannot read) rolls
back whole, so it leaves nothing behind, not even its count.

A repeat of an open incident then costs one more UPDATE: two statements and a
commit, no ORM unit of work, no outbox row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, select, text, update
from sqlalchemy.orm import Session

from watchkeep.core import alerts
from watchkeep.core.actors import Actor
from watchkeep.core.models import Source, Urgency
from watchkeep.ingest import integrations, keys
from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
from watchkeep.ingest.errors import RateLimitedError, UnknownKeyError
from watchkeep.ingest.models import Integration, IntegrationType, ServiceAlertSettings
from watchkeep.runtime import Runtime

WINDOW_SECONDS = 60
_integrations = Integration.__table__
# Built once: building a statement costs more than running it on SQLite.
_ADMIT = (
    update(_integrations)
    .where(
        _integrations.c.key_id == bindparam("given_key_id"),
        _integrations.c.type == bindparam("integration_type"),
    )
    .values(
        rate_window=bindparam("window"),
        rate_count=case(
            (_integrations.c.rate_window == bindparam("window"), _integrations.c.rate_count),
            else_=0,
        )
        + bindparam("alert_count"),
    )
    .returning(
        _integrations.c.key_hash,
        _integrations.c.service_id,
        _integrations.c.name,
        _integrations.c.config,
        _integrations.c.rate_limit_per_minute,
        _integrations.c.rate_count,
        # Needed only when an incident is made, but cheaper here than in a query of its own.
        select(ServiceAlertSettings.severity_urgency)
        .where(ServiceAlertSettings.service_id == _integrations.c.service_id)
        .scalar_subquery()
        .label("severity_urgency"),
    )
)

# A request that only counted repeats need not wait for PostgreSQL to flush its commit:
# a crash within the WAL writer's delay (~0.6 s at most) may lose some counts, never an
# incident or a notification. Waiting instead would hold the incident's and integration's
# row locks through every flush and cap a storm at the disk's flush rate.
_COMMIT_WITHOUT_WAITING = text("SET LOCAL synchronous_commit TO OFF")

# Reads the request's alerts once the integration (and so its config) is known.
Reader = Callable[[dict[str, Any]], Sequence[AlertEvent]]


@dataclass(frozen=True)
class Result:
    dedup_key: str
    # triggered | repeated | acknowledged | resolved | ignored
    outcome: str
    incident_number: int | None


@dataclass(frozen=True)
class _Admitted:
    service_id: int
    actor: Actor
    config: dict[str, Any]
    urgencies: dict[Severity, Urgency]


def ingest(
    runtime: Runtime,
    *,
    key: str,
    integration_type: IntegrationType,
    alert_count: int,
    read: Reader,
) -> list[Result]:
    """Apply a request's alerts, all or none. `alert_count` is what the rate limit counts."""
    if not keys.well_formed(key):
        raise UnknownKeyError()
    now = runtime.clock.now()
    with runtime.db.write() as session:
        admitted = _admit(
            session,
            key,
            integration_type,
            alert_count,
            now,
            runtime.settings.ingest_rate_per_minute,
        )
        results = [_apply(session, admitted, alert, now) for alert in read(admitted.config)]
        if not runtime.db.is_sqlite and all(r.outcome == "repeated" for r in results):
            session.execute(_COMMIT_WITHOUT_WAITING)
        return results


def _admit(
    session: Session,
    key: str,
    integration_type: IntegrationType,
    alert_count: int,
    now: datetime,
    default_rate: int,
) -> _Admitted:
    window = int(now.timestamp()) // WINDOW_SECONDS
    params = {
        "given_key_id": keys.key_id(key),
        "integration_type": integration_type,
        "window": window,
        "alert_count": alert_count,
    }
    row = session.connection().execute(_ADMIT, params).first()
    if row is None or not keys.matches(key, row.key_hash):
        raise UnknownKeyError()
    if row.rate_count > (row.rate_limit_per_minute or default_rate):
        elapsed = now.timestamp() - window * WINDOW_SECONDS
        raise RateLimitedError(retry_after=max(1, math.ceil(WINDOW_SECONDS - elapsed)))
    actor = Actor(name=f"{row.name} ({integration_type.value})", source=Source.API)
    urgencies = integrations.urgencies(row.severity_urgency or {})
    return _Admitted(row.service_id, actor, row.config, urgencies)


def _apply(
    session: Session,
    admitted: _Admitted,
    alert: AlertEvent,
    now: datetime,
) -> Result:
    service_id, dedup_key, actor = admitted.service_id, alert.dedup_key, admitted.actor
    if alert.action is AlertAction.TRIGGER:
        outcome = alerts.trigger_alert(
            session,
            service_id=service_id,
            dedup_key=dedup_key,
            title=alert.summary,
            urgency=admitted.urgencies[alert.severity],
            actor=actor,
            now=now,
            description=alert.description,
            details=alert.details,
        )
        return Result(dedup_key, "triggered" if outcome.created else "repeated", outcome.number)
    if alert.action is AlertAction.ACKNOWLEDGE:
        incident = alerts.acknowledge_alert(
            session, service_id=service_id, dedup_key=dedup_key, actor=actor, now=now
        )
        done = "acknowledged"
    else:
        incident = alerts.resolve_alert(
            session, service_id=service_id, dedup_key=dedup_key, actor=actor, now=now
        )
        done = "resolved"
    if incident is None:
        return Result(dedup_key, "ignored", None)
    return Result(dedup_key, done, incident.number)
