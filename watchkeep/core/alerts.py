"""Alerts: what monitoring tools report, folded into incidents by dedup key.

One open incident per (service, dedup key). The first trigger makes the incident
and announces it; a repeat only counts (`alert_count`, `last_alert_at`) in one
UPDATE. A repeat announces nothing, so Slack is not notified again, and writes
no timeline entry per repeat, so a storm cannot flood the timeline: the timeline
notes the storm's size once at 10, 100, 1,000, … alerts instead.

Acknowledge and resolve act through the state machine on the open incident with
the key; with none open, or the action no longer allowed, they do nothing, as
PagerDuty does.

The trigger path writes with plain statements (no ORM unit of work): it runs for
every alert of a storm and must stay a few statements in one short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from watchkeep.core import events, transitions
from watchkeep.core.actors import Actor
from watchkeep.core.errors import InvalidTransitionError
from watchkeep.core.events import EventType
from watchkeep.core.incidents import INCIDENT_NUMBER
from watchkeep.core.models import (
    OPEN_DEDUP_KEY,
    Counter,
    Incident,
    IncidentStatus,
    Urgency,
)

# Repeat counts at which the timeline notes a storm: a handful of entries, however long it lasts.
STORM_MARKS = frozenset(10**n for n in range(1, 19))
MAX_TITLE = 1024

_incidents = Incident.__table__
_counters = Counter.__table__
# The partial unique index's own predicate, as a literal: the planners of both databases
# use a partial index only for a query whose WHERE visibly implies it.
_is_open_with_key = text(OPEN_DEDUP_KEY)
_RETURNED = (_incidents.c.id, _incidents.c.number, _incidents.c.alert_count)

# Statements are built once: building one costs more than running it on SQLite.
_OPEN_WITH_GIVEN_KEY = (
    _incidents.c.service_id == bindparam("given_service_id"),
    _incidents.c.dedup_key == bindparam("given_dedup_key"),
    _is_open_with_key,
)
_COUNT_REPEAT = (
    update(_incidents)
    .where(*_OPEN_WITH_GIVEN_KEY)
    .values(alert_count=_incidents.c.alert_count + 1, last_alert_at=bindparam("now"))
    .returning(*_RETURNED)
)
_OPEN_INCIDENT_ID = select(_incidents.c.id).where(*_OPEN_WITH_GIVEN_KEY)


def _counter_step(step: int) -> ReturningUpdate[tuple[int]]:
    return (
        update(_counters)
        .where(_counters.c.name == INCIDENT_NUMBER)
        .values(value=_counters.c.value + step)
        .returning(_counters.c.value)
    )


_TAKE_NUMBER = _counter_step(+1)
_GIVE_NUMBER_BACK = _counter_step(-1)


def _insert_or_count(dialect: ModuleType) -> ReturningInsert[tuple[int, int, int]]:
    # Another transaction may have made the incident since our UPDATE looked (PostgreSQL
    # runs them side by side): the unique index then turns the INSERT into the same count.
    insert = dialect.insert(_incidents)
    return insert.on_conflict_do_update(
        index_elements=[_incidents.c.service_id, _incidents.c.dedup_key],
        index_where=_is_open_with_key,
        set_={
            "alert_count": _incidents.c.alert_count + 1,
            "last_alert_at": insert.excluded.last_alert_at,
        },
    ).returning(*_RETURNED)


_INSERT_OR_COUNT = {"postgresql": _insert_or_count(postgresql), "sqlite": _insert_or_count(sqlite)}


@dataclass(frozen=True)
class AlertOutcome:
    incident_id: int
    number: int
    created: bool
    alert_count: int


def record_repeat(
    session: Session, *, service_id: int, dedup_key: str, actor: Actor, now: datetime
) -> AlertOutcome | None:
    """Count one more alert on the open incident with this key; None when there is none."""
    row = (
        session.connection().execute(_COUNT_REPEAT, _given(service_id, dedup_key, now=now)).first()
    )
    if row is None:
        return None
    outcome = AlertOutcome(row.id, row.number, created=False, alert_count=row.alert_count)
    _note_storm(session, outcome, actor, now)
    return outcome


def trigger_alert(
    session: Session,
    *,
    service_id: int,
    dedup_key: str,
    title: str,
    urgency: Urgency,
    actor: Actor,
    now: datetime,
    description: str = "",
    details: dict[str, Any] | None = None,
) -> AlertOutcome:
    """Count a repeat on the open incident with this key, or trigger a new one.

    The service must exist (callers resolve it from an integration). `title`,
    `urgency`, `description` and `details` are the new incident's; a repeat keeps
    the first alert's.
    """
    repeat = record_repeat(
        session, service_id=service_id, dedup_key=dedup_key, actor=actor, now=now
    )
    if repeat is not None:
        return repeat
    connection = session.connection()
    number = connection.scalar(_TAKE_NUMBER)
    if number is None:
        raise RuntimeError("incident counter missing: run `watchkeep migrate`")
    values = {
        "number": number,
        "title": _title(title),
        "description": description,
        "service_id": service_id,
        "urgency": urgency,
        "status": IncidentStatus.TRIGGERED,
        "dedup_key": dedup_key,
        "source": actor.source,
        "created_at": now,
        "updated_at": now,
        "created_by_user_id": actor.user_id,
        "created_by_name": actor.name,
        "alert_count": 1,
        "last_alert_at": now,
        "details": details,
    }
    row = connection.execute(_INSERT_OR_COUNT[connection.dialect.name], values).one()
    if row.alert_count > 1:
        # We lost that race: give our number back. Our UPDATE still locks the counter,
        # so nobody took a later one and numbers stay gapless.
        connection.execute(_GIVE_NUMBER_BACK)
        outcome = AlertOutcome(row.id, row.number, created=False, alert_count=row.alert_count)
        _note_storm(session, outcome, actor, now)
        return outcome
    events.record_by_id(
        session, row.id, EventType.TRIGGERED, f"Triggered by {actor.name}", actor, now=now
    )
    return AlertOutcome(row.id, row.number, created=True, alert_count=1)


def acknowledge_alert(
    session: Session, *, service_id: int, dedup_key: str, actor: Actor, now: datetime
) -> Incident | None:
    """Acknowledge the open incident with this key; None if there is none to acknowledge."""
    incident_id = _open_incident_id(session, service_id, dedup_key)
    if incident_id is None:
        return None
    try:
        return transitions.acknowledge(session, incident_id, actor, now=now)
    except InvalidTransitionError:
        return None


def resolve_alert(
    session: Session, *, service_id: int, dedup_key: str, actor: Actor, now: datetime
) -> Incident | None:
    """Resolve the open incident with this key; None if there is none."""
    incident_id = _open_incident_id(session, service_id, dedup_key)
    if incident_id is None:
        return None
    try:
        return transitions.resolve(session, incident_id, actor, now=now)
    except InvalidTransitionError:
        # Resolved by someone else between our look and the state machine's lock.
        return None


def _open_incident_id(session: Session, service_id: int, dedup_key: str) -> int | None:
    return session.connection().scalar(_OPEN_INCIDENT_ID, _given(service_id, dedup_key))


def _note_storm(session: Session, outcome: AlertOutcome, actor: Actor, now: datetime) -> None:
    if outcome.alert_count not in STORM_MARKS:
        return
    events.record_by_id(
        session,
        outcome.incident_id,
        "alerts_repeated",
        f"{outcome.alert_count:,} alerts so far from {actor.name}; repeats are counted, "
        "not announced",
        actor,
        now=now,
        data={"alert_count": outcome.alert_count},
        announce=False,
    )


def _given(service_id: int, dedup_key: str, **more: Any) -> dict[str, Any]:
    return {"given_service_id": service_id, "given_dedup_key": dedup_key, **more}


def _title(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"
