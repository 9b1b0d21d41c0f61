"""Operations: /healthz for liveness, /readyz for readiness (database, schema, a
live worker), and /metrics for Prometheus, readable by admins or the metrics token."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.config import Settings
from watchkeep.core.models import Role
from watchkeep.db import migrate
from watchkeep.db.engine import Database
from watchkeep.outbox import heartbeats
from watchkeep.runtime import Runtime, build_runtime

from support import Api, FrozenClock, Metrics


def test_healthz_answers_while_the_process_runs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_once_a_worker_beats_and_not_when_it_falls_silent(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "schema": "ok", "worker": "no worker has run"},
    }
    runtime.worker().beat()
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    clock.advance(seconds=61)
    silent = client.get("/readyz")
    assert silent.status_code == 503
    assert silent.json()["checks"]["worker"] == "last worker heartbeat 61s ago"


def test_a_running_worker_beats_and_clears_its_heartbeat_when_it_stops(
    runtime: Runtime,
) -> None:
    worker = runtime.worker()
    beaten = threading.Event()
    original = worker.beat

    def beat() -> None:
        original()
        beaten.set()

    worker.beat = beat  # type: ignore[method-assign]
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        assert beaten.wait(30)
        with runtime.db.read() as session:
            assert heartbeats.latest(session) == runtime.clock.now()
    finally:
        worker.stop()
        thread.join(30)
    with runtime.db.read() as session:
        assert heartbeats.latest(session) is None


@pytest.mark.parametrize("settings_overrides", [{"ready_worker_seconds": 0}])
def test_web_replicas_may_leave_the_worker_out_of_readiness(client: TestClient) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "schema": "ok"}


def test_not_ready_on_an_old_schema_or_without_a_database(tmp_path: Path) -> None:
    old = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(Database(old), "0010")
    heads = sorted(migrate.shipped_heads())
    for url, check, expected in [
        (old, "schema", f"at ['0010'], needs {heads}: run `watchkeep migrate`"),
        (f"sqlite:///{tmp_path / 'missing' / 'x.db'}", "database", "unreachable: OperationalError"),
    ]:
        settings = Settings(
            data_dir=tmp_path / "data", database_url=url, secret_key="k", run_socket_mode=False
        )
        runtime = build_runtime(settings, clock=FrozenClock())
        with TestClient(create_app(runtime, run_worker=False)) as client:
            answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"][check] == expected
        runtime.db.dispose()


def test_metrics_are_for_admins_and_the_metrics_token(
    client: TestClient, make_token: Callable[..., str]
) -> None:
    assert client.get("/metrics").status_code == 401
    responder = Api(client, make_token(Role.RESPONDER))
    assert responder.get("/metrics").status_code == 403
    admin = Api(client, make_token(Role.ADMIN))
    answer = admin.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert Api(client, "not-the-token").get("/metrics").status_code == 401


@pytest.mark.parametrize("settings_overrides", [{"metrics_token": "scrape-secret-1234"}])
def test_a_scrape_job_uses_the_metrics_token(client: TestClient) -> None:
    assert Api(client, "scrape-secret-1234").get("/metrics").status_code == 200
    assert Api(client, "scrape-secret-12345").get("/metrics").status_code == 401


def test_requests_are_timed_by_route_template(admin_api: Api, service_id: int) -> None:
    metrics = Metrics(admin_api)
    made = admin_api.post("/api/v1/incidents", {"title": "Disk", "service_id": service_id})
    admin_api.get(f"/api/v1/incidents/{made.json()['id']}")
    admin_api.get("/api/v1/incidents/999999")
    admin_api.get("/no/such/page/at/all")
    route = "/api/v1/incidents/{incident_id}"
    latency = "watchkeep_http_request_duration_seconds_count"
    assert metrics.delta(latency, method="GET", route=route) == 2
    requests = "watchkeep_http_requests_total"
    assert metrics.delta(requests, method="GET", route=route, status="200") == 1
    assert metrics.delta(requests, method="GET", route=route, status="404") == 1
    assert metrics.delta(requests, method="POST", route="/api/v1/incidents", status="201") == 1
    assert metrics.delta(requests, method="GET", route="unmatched", status="404") == 1
    admin_api.client.request("BREW", "/api/v1/incidents")
    assert metrics.delta(requests, method="other", route="/api/v1/incidents", status="405") == 1
    assert not any("999999" in str(key) for key in metrics.scrape())


def test_the_outbox_backlog_and_its_age_by_kind(
    admin_api: Api, service_id: int, clock: FrozenClock, runtime: Runtime
) -> None:
    admin_api.post("/api/v1/incidents", {"title": "Disk", "service_id": service_id})
    clock.advance(seconds=42)
    metrics = Metrics(admin_api)
    assert metrics.value("watchkeep_outbox_backlog", kind="event") == 1
    assert metrics.value("watchkeep_outbox_oldest_age_seconds", kind="event") == 42
    assert metrics.value("watchkeep_outbox_failed", kind="event") == 0
    assert metrics.value("watchkeep_worker_heartbeat_age_seconds") is None
    runtime.worker().drain()
    runtime.worker().beat()
    clock.advance(seconds=5)
    after = Metrics(admin_api)
    assert after.value("watchkeep_outbox_backlog", kind="event") is None
    assert after.value("watchkeep_worker_heartbeat_age_seconds") == 5
