"""A request whose database connection dies mid-transaction (its PostgreSQL backend
terminated, as in a failover) runs once more when nothing was applied, and never when
something may have been: a COMMIT sent, or an earlier transaction of it committed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from watchkeep.app import create_app
from watchkeep.core import incidents
from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident, IncidentStatus, Role, Source, TimelineEvent, Urgency
from watchkeep.runtime import Runtime

from support import Api, Terminator

pytestmark = pytest.mark.postgres


@pytest.fixture
def client(pg_runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(pg_runtime, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def incident_id(pg_runtime: Runtime, pg_url: str) -> int:
    from watchkeep.core import services

    now = pg_runtime.clock.now()
    with pg_runtime.db.write() as db:
        service = services.create_service(db, name="checkout", now=now)
        incident, _ = incidents.create_incident(
            db,
            title="502s",
            service_id=service.id,
            urgency=Urgency.HIGH,
            actor=Actor(name="test", source=Source.API),
            now=now,
        )
        return incident.id


@pytest.fixture
def api(client: TestClient, pg_runtime: Runtime) -> Api:
    from watchkeep.core import accounts, tokens

    with pg_runtime.db.write() as db:
        user = accounts.create_user(
            db,
            email="rita@example.com",
            name="Rita",
            role=Role.RESPONDER,
            now=pg_runtime.clock.now(),
        )
        _, token = tokens.create_token(db, user, name="t", now=pg_runtime.clock.now())
    return Api(client, token)


@pytest.fixture
def terminator(pg_runtime: Runtime, pg_url: str) -> Iterator[Terminator]:
    killer = Terminator(pg_runtime, pg_url)
    yield killer
    killer.close()


def timeline(runtime: Runtime, incident_id: int) -> list[str]:
    with runtime.db.read() as db:
        return list(
            db.scalars(
                select(TimelineEvent.type)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(TimelineEvent.id)
            )
        )


def status_of(runtime: Runtime, incident_id: int) -> IncidentStatus:
    with runtime.db.read() as db:
        incident = db.get(Incident, incident_id)
        assert incident is not None
        return incident.status


PASSWORD = "correct horse battery"


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def warm(api: Api) -> None:
    """Authenticate once, so the token's last-used stamp is written before the test."""
    assert api.get("/api/v1/incidents").status_code == 200


def test_a_transaction_that_lost_its_connection_before_commit_runs_once_more(
    api: Api, pg_runtime: Runtime, incident_id: int, terminator: Terminator
) -> None:
    warm(api)
    terminator.on_statement("UPDATE incidents")
    answer = api.post(f"/api/v1/incidents/{incident_id}/acknowledge")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ACKNOWLEDGED"
    assert terminator.seen == 2, "run twice: killed, then applied"
    assert status_of(pg_runtime, incident_id) is IncidentStatus.ACKNOWLEDGED
    assert timeline(pg_runtime, incident_id) == ["triggered", "acknowledged"]


def test_it_runs_once_more_only_once(
    api: Api, pg_runtime: Runtime, incident_id: int, terminator: Terminator
) -> None:
    warm(api)
    terminator.on_statement("UPDATE incidents", times=2)
    assert api.post(f"/api/v1/incidents/{incident_id}/acknowledge").status_code == 500
    assert terminator.seen == 2
    assert status_of(pg_runtime, incident_id) is IncidentStatus.TRIGGERED


def test_a_connection_lost_during_commit_is_never_retried(
    api: Api, pg_runtime: Runtime, incident_id: int, terminator: Terminator
) -> None:
    """Whether that COMMIT was applied cannot be known: running it again could apply
    the acknowledgement twice (here the server never got it, so it is not applied)."""
    warm(api)
    terminator.on_commit("incidents")
    assert api.post(f"/api/v1/incidents/{incident_id}/acknowledge").status_code == 500
    assert terminator.seen == 1
    assert status_of(pg_runtime, incident_id) is IncidentStatus.TRIGGERED
    assert timeline(pg_runtime, incident_id) == ["triggered"]


def test_a_request_that_already_committed_something_is_not_run_again(
    api: Api,
    pg_runtime: Runtime,
    incident_id: int,
    terminator: Terminator,
    client: TestClient,
) -> None:
    """A fresh token's first use stamps `last_used_at` in a transaction of its own,
    committed before the acknowledgement's."""
    terminator.on_statement("UPDATE incidents")
    assert api.post(f"/api/v1/incidents/{incident_id}/acknowledge").status_code == 500
    assert terminator.seen == 1
    assert status_of(pg_runtime, incident_id) is IncidentStatus.TRIGGERED


def test_a_page_is_covered_too(
    pg_runtime: Runtime, incident_id: int, terminator: Terminator
) -> None:
    """The retry is the app's, not the API's: a page's form runs again as well."""
    from watchkeep.core import accounts

    with pg_runtime.db.write() as db:
        accounts.create_user(
            db,
            email="ada@example.com",
            name="Ada",
            role=Role.ADMIN,
            now=pg_runtime.clock.now(),
            password=PASSWORD,
        )
    app = create_app(pg_runtime, run_worker=False)
    with TestClient(app, base_url="https://testserver") as browser:
        login = browser.get("/login").text
        browser.post(
            "/login",
            data={"csrf_token": csrf(login), "email": "ada@example.com", "password": PASSWORD},
        )
        page = browser.get(f"/incidents/{incident_id}").text
        terminator.on_statement("UPDATE incidents")
        answer = browser.post(
            f"/incidents/{incident_id}/acknowledge", data={"csrf_token": csrf(page)}
        )
    assert answer.status_code == 200
    assert answer.url.path == f"/incidents/{incident_id}"
    assert terminator.seen == 2
    assert timeline(pg_runtime, incident_id) == ["triggered", "acknowledged"]
