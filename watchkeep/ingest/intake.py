"""Applying ingest requests: a batch of them in one short write transaction.

The `IngestWriter` hands over the requests waiting; `admission` decides, without
writing, which may apply their alerts; then the admitted alerts go through
`watchkeep.core.alerts` with each key's triggers folded into one, so that a
storm of one key costs one UPDATE per batch, and a batch's new incidents a few
multi-row statements. A refused request writes nothing, so the others commit
without it: each request is applied whole or not at all. Should an incident be
resolved under the batch, the batch runs again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.orm import Session

from watchkeep.core import alerts, changes
from watchkeep.ingest.admission import Admitted, IngestRequest, Refusal, admit
from watchkeep.ingest.alert import AlertAction, AlertEvent, ChangeReport

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime

# A batch that only counted repeats need not wait for PostgreSQL to flush its commit:
# a crash within the WAL writer's delay (~0.6 s at most) may lose some counts, never an
# incident or a notification. Waiting instead would hold the rows it counted on through
# every flush, and cap a storm at the disk's flush rate.
_COMMIT_WITHOUT_WAITING = text("SET LOCAL synchronous_commit TO OFF")
# A batch meets an incident resolved under it rarely, and twice in a row hardly ever.
_ATTEMPTS = 3


@dataclass(frozen=True)
class Result:
    dedup_key: str
    # triggered | repeated | acknowledged | resolved | ignored | recorded (a change)
    outcome: str
    incident_number: int | None


def ingest(runtime: Runtime, requests: Sequence[IngestRequest]) -> list[list[Result] | Refusal]:
    """Each request's results, or why it was refused, from one transaction."""
    attempts = _ATTEMPTS
    while True:
        try:
            return _ingest_once(runtime, requests)
        except alerts.ResolvedMeanwhileError:
            attempts -= 1
            if not attempts:
                raise


def _ingest_once(
    runtime: Runtime, requests: Sequence[IngestRequest]
) -> list[list[Result] | Refusal]:
    now = runtime.clock.now()
    with runtime.db.write() as session:
        answers = admit(
            session, requests, now=now, default_rate=runtime.settings.ingest_rate_per_minute
        )
        admitted = [answer for answer in answers if isinstance(answer, Admitted)]
        applied = iter(_apply_batch(session, admitted, now))
        outcomes = [next(applied) if isinstance(a, Admitted) else a for a in answers]
        if not runtime.db.is_sqlite and all(
            result.outcome == "repeated"
            for outcome in outcomes
            if isinstance(outcome, list)
            for result in outcome
        ):
            session.execute(_COMMIT_WITHOUT_WAITING)
    return outcomes


def _apply_batch(session: Session, batch: list[Admitted], now: datetime) -> list[list[Result]]:
    """Apply the batch's alerts, each key's triggers folded into one `Trigger`.

    A storm's triggers of one key then cost one UPDATE, and the batch's new
    incidents a few multi-row statements. Folding moves a trigger only ahead
    of other keys' alerts, which it does not affect; a key that the batch also
    acknowledges or resolves keeps its alerts' order and is applied one by one.
    """
    alerts_in_order = [
        (index, position, admitted, alert)
        for index, admitted in enumerate(batch)
        for position, alert in enumerate(admitted.alerts)
        if isinstance(alert, AlertEvent)
    ]
    ordered = {
        (admitted.service_id, alert.dedup_key)
        for _, _, admitted, alert in alerts_in_order
        if alert.action is not AlertAction.TRIGGER
    }
    folded: dict[tuple[int, str], list[tuple[int, int, Admitted, AlertEvent]]] = {}
    for item in alerts_in_order:
        _, _, admitted, alert = item
        key = (admitted.service_id, alert.dedup_key)
        if alert.action is AlertAction.TRIGGER and key not in ordered:
            folded.setdefault(key, []).append(item)
    results: list[list[Result | None]] = [[None] * len(admitted.alerts) for admitted in batch]
    groups = list(folded.values())
    # Each group's first trigger stands for the group: its alert makes the incident.
    triggers = [
        _trigger(items[0][2], items[0][3], count=len(items), latest=items[-1][3])
        for items in groups
    ]
    for items, outcome in zip(
        groups, alerts.trigger_alerts(session, triggers, now=now), strict=True
    ):
        for n, (index, position, _, alert) in enumerate(items):
            made = "triggered" if outcome.created and n == 0 else "repeated"
            results[index][position] = Result(alert.dedup_key, made, outcome.number)
    for index, position, admitted, alert in alerts_in_order:
        if results[index][position] is None:
            results[index][position] = _apply(session, admitted, alert, now)
    for index, admitted in enumerate(batch):
        for position, report in enumerate(admitted.alerts):
            if isinstance(report, ChangeReport):
                results[index][position] = _record(session, admitted, report, now)
    return [[result for result in request if result is not None] for request in results]


def _trigger(
    admitted: Admitted, alert: AlertEvent, *, count: int, latest: AlertEvent | None = None
) -> alerts.Trigger:
    return alerts.Trigger(
        service_id=admitted.service_id,
        dedup_key=alert.dedup_key,
        title=alert.summary,
        urgency=admitted.urgencies[alert.severity],
        actor=admitted.actor,
        description=alert.description,
        details=alert.details,
        count=count,
        latest_details=None if latest is None or latest is alert else latest.details,
    )


def _record(session: Session, admitted: Admitted, report: ChangeReport, now: datetime) -> Result:
    change = changes.Change(
        service_id=admitted.service_id,
        summary=report.summary,
        sender=admitted.actor.name,
        source=report.source,
        occurred_at=report.occurred_at,
        links=report.links,
        custom_details=report.custom_details,
    )
    row = changes.record_change(session, change, now=now)
    return Result(str(row.id), "recorded", None)


def _apply(session: Session, admitted: Admitted, alert: AlertEvent, now: datetime) -> Result:
    service_id, dedup_key, actor = admitted.service_id, alert.dedup_key, admitted.actor
    if alert.action is AlertAction.TRIGGER:
        outcome = alerts.trigger_alert(session, _trigger(admitted, alert, count=1), now=now)
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
