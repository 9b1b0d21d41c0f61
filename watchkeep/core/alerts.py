"""Alerts: what monitoring tools report, folded into incidents by dedup key.

One open incident per (service, dedup key). The first trigger makes the incident
and announces it; a repeat only counts (`alert_count`, `last_alert_at`) in one
UPDATE. A repeat announces nothing, so Slack is not notified again, and writes
no timeline entry per repeat, so a storm cannot flood the timeline: the timeline
notes the storm's size once at 10, 100, 1,000, … alerts instead.

Acknowledge and resolve act through the state machine on the open incident with
the key; with none open, or the action no longer allowed, they do nothing, as
PagerDuty does.

Triggers run for every alert of a storm, so they write with prebuilt plain
statements (`alert_sql`; no ORM unit of work), and a batch of them costs a fixed
number of statements for the incidents it makes, plus one UPDATE per service
(and count) for those it counts on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from watchkeep.core import alert_sql as sql
from watchkeep.core import events, transitions
from watchkeep.core.actors import Actor
from watchkeep.core.errors import InvalidTransitionError
from watchkeep.core.events import Entry, EventType
from watchkeep.core.models import Incident, IncidentAlert, IncidentStatus, Urgency

# Repeat counts at which the timeline notes a storm: a handful of entries, however long it lasts.
STORM_MARKS = tuple(10**n for n in range(1, 19))
MAX_TITLE = 1024
# The last alerts kept per incident, payloads and all, for its history.
HISTORY = 5


class ResolvedMeanwhileError(Exception):
    """An incident to count on was resolved since the transaction looked, and making its
    successor now could deadlock: roll the transaction back and run it again."""


@dataclass(frozen=True)
class Trigger:
    """`count` identical triggers of one key (a batch folds a storm's together)."""

    service_id: int
    dedup_key: str
    title: str
    urgency: Urgency
    actor: Actor
    description: str = ""
    details: dict[str, Any] | None = None
    count: int = 1
    # The details of the last of the `count` alerts (None: the same as `details`).
    latest_details: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[int, str]:
        return self.service_id, self.dedup_key


@dataclass(frozen=True)
class AlertOutcome:
    incident_id: int
    number: int
    created: bool
    alert_count: int


def trigger_alerts(
    session: Session, triggers: Sequence[Trigger], *, now: datetime
) -> list[AlertOutcome]:
    """Count each trigger on the open incident with its key, or make the incident.

    Keys must be distinct. A new incident takes the trigger's title, urgency,
    description and details, and starts with `count` alerts; a repeat keeps the
    first alert's. Services must exist (callers know them from an integration).
    """
    if not triggers:
        return []
    connection = session.connection()
    open_keys = _open_keys(connection, triggers)
    missing = [trigger for trigger in triggers if trigger.key not in open_keys]
    # Lock order: the counter (taken by every transaction that makes incidents, and
    # held until it commits) before any incident row, so that no two transactions
    # wait for each other.
    last = connection.scalar(sql.LOCK_NUMBERS) if missing else None
    if missing and last is None:
        raise RuntimeError("incident counter missing: run `watchkeep migrate`")
    outcomes = _count_repeats(session, [t for t in triggers if t.key in open_keys], now)
    # Resolved between our look and our UPDATE (which on PostgreSQL now locks it).
    raced = [t for t in triggers if t.key in open_keys and t.key not in outcomes]
    if raced and last is None:
        raise ResolvedMeanwhileError()
    if last is not None:
        # Holding the counter, no other transaction can be making one of these: look
        # again for those made since the first look, and make the rest.
        missing += raced
        made_since = _open_keys(connection, missing)
        outcomes |= _count_repeats(session, [t for t in missing if t.key in made_since], now)
        outcomes |= _create(session, [t for t in missing if t.key not in outcomes], last, now)
    _record_history(connection, [(t, outcomes[t.key]) for t in triggers], now)
    return [outcomes[trigger.key] for trigger in triggers]


def _record_history(
    connection: Connection, applied: Sequence[tuple[Trigger, AlertOutcome]], now: datetime
) -> None:
    """Each incident's latest alert into its history ring: one statement for the batch."""
    rows = [
        {
            "incident_id": outcome.incident_id,
            "slot": outcome.alert_count % HISTORY,
            "number": outcome.alert_count,
            "received_at": now,
            "details": trigger.latest_details or trigger.details,
        }
        for trigger, outcome in applied
    ]
    connection.execute(sql.RECORD_ALERTS[connection.dialect.name], rows)


def alert_history(session: Session, incident_id: int) -> list[IncidentAlert]:
    """The incident's last alerts (at most `HISTORY`), newest first."""
    return list(
        session.scalars(
            select(IncidentAlert)
            .where(IncidentAlert.incident_id == incident_id)
            .order_by(IncidentAlert.number.desc())
        )
    )


def trigger_alert(session: Session, trigger: Trigger, *, now: datetime) -> AlertOutcome:
    [outcome] = trigger_alerts(session, [trigger], now=now)
    return outcome


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


def _open_keys(connection: Connection, triggers: Sequence[Trigger]) -> set[tuple[int, str]]:
    by_service: dict[int, list[str]] = {}
    for trigger in triggers:
        by_service.setdefault(trigger.service_id, []).append(trigger.dedup_key)
    return {
        (service_id, row.dedup_key)
        for service_id, dedup_keys in by_service.items()
        for row in connection.execute(
            sql.OPEN_KEYS, {"given_service_id": service_id, "given_dedup_keys": dedup_keys}
        )
    }


def _open_incident_id(session: Session, service_id: int, dedup_key: str) -> int | None:
    params = {"given_service_id": service_id, "given_dedup_keys": [dedup_key]}
    found = session.connection().execute(sql.OPEN_KEYS, params).first()
    return None if found is None else found.id


def _count_repeats(
    session: Session, triggers: Sequence[Trigger], now: datetime
) -> dict[tuple[int, str], AlertOutcome]:
    """Count the triggers on their open incidents: one UPDATE per service and count."""
    groups: dict[tuple[int, int], dict[str, Trigger]] = {}
    for trigger in triggers:
        groups.setdefault((trigger.service_id, trigger.count), {})[trigger.dedup_key] = trigger
    outcomes = {}
    for (service_id, count), by_key in groups.items():
        params = {
            "given_service_id": service_id,
            "given_dedup_keys": sorted(by_key),
            "count": count,
            "now": now,
        }
        for row in session.connection().execute(sql.COUNT_REPEATS, params).all():
            trigger = by_key[row.dedup_key]
            outcome = AlertOutcome(row.id, row.number, created=False, alert_count=row.alert_count)
            _note_storm(session, outcome, count, trigger.actor, now)
            outcomes[trigger.key] = outcome
    return outcomes


def _create(
    session: Session, triggers: Sequence[Trigger], last_number: int, now: datetime
) -> dict[tuple[int, str], AlertOutcome]:
    if not triggers:
        return {}
    connection = session.connection()
    rows = [_row(trigger, last_number + n, now) for n, trigger in enumerate(triggers, start=1)]
    made = connection.execute(sql.INSERT_OR_COUNT[connection.dialect.name], rows).all()
    connection.execute(sql.TAKE_NUMBERS, {"taken": len(triggers)})
    by_key = {(row.service_id, row.dedup_key): row for row in made}
    outcomes, announced = {}, []
    for trigger in triggers:
        row = by_key[trigger.key]
        # More alerts than ours: the unique index met an open incident we did not see,
        # and counted ours on it (its number stays unused). Our look under the counter's
        # lock rules this out unless something makes incidents without taking it.
        created = row.alert_count == trigger.count
        outcome = AlertOutcome(row.id, row.number, created=created, alert_count=row.alert_count)
        outcomes[trigger.key] = outcome
        if created:
            message = f"Triggered by {trigger.actor.name}"
            announced.append(Entry(row.id, EventType.TRIGGERED, message, trigger.actor))
        _note_storm(session, outcome, trigger.count - created, trigger.actor, now)
    events.record_entries(session, announced, now=now)
    return outcomes


def _row(trigger: Trigger, number: int, now: datetime) -> dict[str, Any]:
    return {
        "number": number,
        "title": _title(trigger.title),
        "description": trigger.description,
        "service_id": trigger.service_id,
        "urgency": trigger.urgency,
        "status": IncidentStatus.TRIGGERED,
        "dedup_key": trigger.dedup_key,
        "source": trigger.actor.source,
        "created_at": now,
        "updated_at": now,
        "created_by_user_id": trigger.actor.user_id,
        "created_by_name": trigger.actor.name,
        "alert_count": trigger.count,
        "last_alert_at": now,
        "details": trigger.details,
    }


def _note_storm(
    session: Session, outcome: AlertOutcome, repeats: int, actor: Actor, now: datetime
) -> None:
    """Note each storm mark the last `repeats` repeats passed (one, at most, in practice)."""
    notes = [
        Entry(
            outcome.incident_id,
            "alerts_repeated",
            f"{mark:,} alerts so far from {actor.name}; repeats are counted, not announced",
            actor,
            {"alert_count": mark},
        )
        for mark in STORM_MARKS
        if outcome.alert_count - repeats < mark <= outcome.alert_count
    ]
    events.record_entries(session, notes, now=now, announce=False)


def _title(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"
