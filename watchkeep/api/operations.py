"""Operations endpoints: `/healthz` (the process answers), `/readyz` (it can do its
work: the database answers, the schema is current, a worker is alive) and
`/metrics` (Prometheus text format, for an admin's API token or
WATCHKEEP_METRICS_TOKEN only: metrics name services' routes and Slack's errors)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import JSONResponse, Response

from watchkeep.api.deps import BearerCredentials, Principals, RuntimeDep, authenticate
from watchkeep.core.permissions import Permission, allows
from watchkeep.db import migrate
from watchkeep.outbox import heartbeats, queries
from watchkeep.runtime import Runtime

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving: nothing else is asked (a liveness probe)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready for traffic: 200 when every check passes, else 503 naming what failed."""
    checks = readiness(runtime)
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


def readiness(runtime: Runtime) -> dict[str, str]:
    """Each check's answer: "ok", or why not. Later checks need the earlier ones."""
    try:
        current = migrate.current_revisions(runtime.db)
    except Exception as exc:
        return {"database": f"unreachable: {exc.__class__.__name__}"}
    checks = {"database": "ok"}
    heads = migrate.shipped_heads()
    if current != heads:
        checks["schema"] = f"at {sorted(current)}, needs {sorted(heads)}: run `watchkeep migrate`"
        return checks
    checks["schema"] = "ok"
    limit = runtime.settings.ready_worker_seconds
    if limit:
        with runtime.db.read() as session:
            latest = heartbeats.latest(session)
        checks["worker"] = _worker_check(latest, runtime.clock.now(), limit)
    return checks


def _worker_check(latest: datetime | None, now: datetime, limit: float) -> str:
    if latest is None:
        return "no worker has run"
    age = (now - latest).total_seconds()
    if age > limit:
        return f"last worker heartbeat {age:.0f}s ago"
    return "ok"


async def metrics_reader(
    runtime: RuntimeDep,
    cache: Principals,
    credentials: BearerCredentials,
) -> None:
    """WATCHKEEP_METRICS_TOKEN (for a Prometheus scrape job), or an admin's API token."""
    configured = runtime.settings.metrics_token
    given = credentials.credentials if credentials is not None else ""
    if configured and hmac.compare_digest(given.encode(), configured.encode()):
        return
    principal = await authenticate(runtime, cache, credentials)
    if not allows(principal.role, Permission.CONFIGURE):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="metrics are for admins")


@router.get("/metrics", dependencies=[Depends(metrics_reader)])
def metrics(runtime: RuntimeDep) -> Response:
    """This process's counters and histograms, and the database-wide gauges."""
    shared = CollectorRegistry(auto_describe=False)
    shared.register(DatabaseGauges(runtime))  # type: ignore[arg-type]
    body = generate_latest(REGISTRY) + generate_latest(shared)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class DatabaseGauges:
    """What every process reads alike from the database at scrape time: the outbox's
    backlog by job kind and worker heartbeats. (With several replicas, each reports
    the same values: aggregate them with max, not sum.)"""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Any]:
        now = self.runtime.clock.now()
        with self.runtime.db.read() as session:
            backlog = queries.backlog(session, now)
            latest = heartbeats.latest(session)
        yield from _outbox_families(backlog, now)
        beat = GaugeMetricFamily(
            "watchkeep_worker_heartbeat_age_seconds",
            "Seconds since the most recent heartbeat of any worker (absent: none ever ran)",
        )
        if latest is not None:
            beat.add_metric([], max(0.0, (now - latest).total_seconds()))
        yield beat


def _outbox_families(backlog: list[queries.Backlog], now: datetime) -> Iterator[Any]:
    due = GaugeMetricFamily(
        "watchkeep_outbox_backlog", "Outbox rows due now and not yet done, by kind", labels=["kind"]
    )
    age = GaugeMetricFamily(
        "watchkeep_outbox_oldest_age_seconds",
        "How long the oldest due row of each kind has waited past its due time",
        labels=["kind"],
    )
    scheduled = GaugeMetricFamily(
        "watchkeep_outbox_scheduled",
        "Outbox rows due later (timers, paced Slack calls), by kind",
        labels=["kind"],
    )
    failed = GaugeMetricFamily(
        "watchkeep_outbox_failed", "Outbox rows that gave up, by kind", labels=["kind"]
    )
    for row in backlog:
        due.add_metric([row.kind], row.due)
        waited = (now - row.oldest_due_at).total_seconds() if row.oldest_due_at else 0.0
        age.add_metric([row.kind], max(0.0, waited))
        scheduled.add_metric([row.kind], row.scheduled)
        failed.add_metric([row.kind], row.failed)
    yield from (due, age, scheduled, failed)
