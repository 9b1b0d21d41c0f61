"""Admission: which requests of a batch may apply their alerts, decided before any write.

One SELECT finds every integration the batch names, by the public part of each
key, with the row locked (PostgreSQL; SQLite's write lock is already held) and
the service's severity map beside it. Then, per request and in arrival order:
the key's SHA-256 is compared in constant time, the body is read (a webhook
needs its integration's config for that), and its alerts are counted against
the integration's limit in a fixed one-minute window kept in the row, so every
web process shares it. A refused request therefore writes nothing, and the
counts of the admitted ones are written back with one UPDATE per integration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from watchkeep.core.actors import Actor
from watchkeep.core.models import Source, Urgency
from watchkeep.ingest import integrations, keys
from watchkeep.ingest.alert import AlertEvent, ChangeReport, Severity
from watchkeep.ingest.errors import BadEventError, RateLimitedError, UnknownKeyError
from watchkeep.ingest.models import Integration, IntegrationType, ServiceAlertSettings

WINDOW_SECONDS = 60
_integrations = Integration.__table__

# Built once: building a statement costs more than running it on SQLite.
_FIND = (
    select(
        _integrations.c.id,
        _integrations.c.key_id,
        _integrations.c.key_hash,
        _integrations.c.type,
        _integrations.c.service_id,
        _integrations.c.name,
        _integrations.c.config,
        _integrations.c.rate_limit_per_minute,
        _integrations.c.rate_window,
        _integrations.c.rate_count,
        select(ServiceAlertSettings.severity_urgency)
        .where(ServiceAlertSettings.service_id == _integrations.c.service_id)
        .scalar_subquery()
        .label("severity_urgency"),
    )
    .where(_integrations.c.key_id.in_(bindparam("key_ids", expanding=True)))
    .with_for_update(of=_integrations)
)
_COUNT = (
    update(_integrations)
    .where(_integrations.c.id == bindparam("integration_id"))
    .values(rate_window=bindparam("window"), rate_count=bindparam("count"))
)

# Reads a request's alerts once its integration (and so its config) is known.
Reader = Callable[[dict[str, Any]], Sequence[AlertEvent | ChangeReport]]
Refusal = UnknownKeyError | RateLimitedError | BadEventError


@dataclass(frozen=True)
class IngestRequest:
    """What a receiver hands over: the key it was given, its format, and its body's reader."""

    key: str
    integration_type: IntegrationType
    read: Reader


@dataclass(frozen=True)
class Admitted:
    service_id: int
    actor: Actor
    urgencies: dict[Severity, Urgency]
    alerts: Sequence[AlertEvent | ChangeReport]


def admit(
    session: Session, requests: Sequence[IngestRequest], *, now: datetime, default_rate: int
) -> list[Admitted | Refusal]:
    """Each request's admission, or why it is refused; writes only the admitted counts."""
    key_ids = sorted({keys.key_id(r.key) for r in requests if keys.well_formed(r.key)})
    found = session.connection().execute(_FIND, {"key_ids": key_ids}).all() if key_ids else []
    by_key_id = {row.key_id: row for row in found}
    window = int(now.timestamp()) // WINDOW_SECONDS
    counts: dict[int, int] = {}
    senders: dict[int, tuple[Actor, dict[Severity, Urgency]]] = {}
    answers: list[Admitted | Refusal] = []
    for request in requests:
        row = by_key_id.get(keys.key_id(request.key)) if keys.well_formed(request.key) else None
        if (
            row is None
            or row.type is not request.integration_type
            or not keys.matches(request.key, row.key_hash)
        ):
            answers.append(UnknownKeyError())
            continue
        try:
            alerts = request.read(row.config)
        except BadEventError as exc:
            answers.append(exc)
            continue
        used = counts.get(row.id, row.rate_count if row.rate_window == window else 0)
        if used + len(alerts) > (row.rate_limit_per_minute or default_rate):
            answers.append(RateLimitedError(retry_after=_retry_after(now, window)))
            continue
        counts[row.id] = used + len(alerts)
        if row.id not in senders:
            actor = Actor(name=f"{row.name} ({row.type.value})", source=Source.API)
            senders[row.id] = actor, integrations.urgencies(row.severity_urgency or {})
        answers.append(Admitted(row.service_id, *senders[row.id], alerts))
    for integration_id, count in counts.items():
        session.connection().execute(
            _COUNT, {"integration_id": integration_id, "window": window, "count": count}
        )
    return answers


def _retry_after(now: datetime, window: int) -> int:
    elapsed = now.timestamp() - window * WINDOW_SECONDS
    return max(1, math.ceil(WINDOW_SECONDS - elapsed))
