"""The statements of the alert path, built once: building one costs more than running
it on SQLite. They name parameters `given_*` where a column of the same name is set."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from watchkeep.core.incidents import INCIDENT_NUMBER
from watchkeep.core.models import OPEN_DEDUP_KEY, Counter, Incident, IncidentAlert

_incidents = Incident.__table__
_counters = Counter.__table__
# The partial unique index's own predicate, as a literal: the planners of both databases
# use a partial index only for a query whose WHERE visibly implies it.
_is_open_with_key = text(OPEN_DEDUP_KEY)
_RETURNED = [
    _incidents.c[name] for name in ("id", "number", "alert_count", "service_id", "dedup_key")
]

COUNT_REPEATS = (
    update(_incidents)
    .where(
        _incidents.c.service_id == bindparam("given_service_id"),
        _incidents.c.dedup_key.in_(bindparam("given_dedup_keys", expanding=True)),
        _is_open_with_key,
    )
    .values(
        alert_count=_incidents.c.alert_count + bindparam("count"), last_alert_at=bindparam("now")
    )
    .returning(*_RETURNED)
)
# One service's keys at a time, here and above: SQLite seeks the index for
# `dedup_key IN (…)` under one service_id, where for `(service_id, dedup_key) IN (…)`
# it scans every open incident.
OPEN_KEYS = select(_incidents.c.id, _incidents.c.dedup_key).where(
    _incidents.c.service_id == bindparam("given_service_id"),
    _incidents.c.dedup_key.in_(bindparam("given_dedup_keys", expanding=True)),
    _is_open_with_key,
)


def _counter_step(step: Any) -> ReturningUpdate[tuple[int]]:
    return (
        update(_counters)
        .where(_counters.c.name == INCIDENT_NUMBER)
        .values(value=_counters.c.value + step)
        .returning(_counters.c.value)
    )


# A no-op UPDATE: it locks the counter row, which every transaction making incidents takes.
LOCK_NUMBERS = _counter_step(0)
TAKE_NUMBERS = _counter_step(bindparam("taken"))


def _insert_or_count(dialect: ModuleType) -> ReturningInsert[Any]:
    insert = dialect.insert(_incidents)
    return insert.on_conflict_do_update(
        index_elements=[_incidents.c.service_id, _incidents.c.dedup_key],
        index_where=_is_open_with_key,
        set_={
            "alert_count": _incidents.c.alert_count + insert.excluded.alert_count,
            "last_alert_at": insert.excluded.last_alert_at,
        },
    ).returning(*_RETURNED)


INSERT_OR_COUNT = {"postgresql": _insert_or_count(postgresql), "sqlite": _insert_or_count(sqlite)}


def _record_alerts(dialect: ModuleType) -> Any:
    insert = dialect.insert(IncidentAlert.__table__)
    return insert.on_conflict_do_update(
        index_elements=["incident_id", "slot"],
        set_={
            "number": insert.excluded.number,
            "received_at": insert.excluded.received_at,
            "details": insert.excluded.details,
        },
    )


# An incident's latest alert into its slot of the history ring.
RECORD_ALERTS = {"postgresql": _record_alerts(postgresql), "sqlite": _record_alerts(sqlite)}
