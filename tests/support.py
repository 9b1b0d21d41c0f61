"""Test helpers shared across the suite: a clock we control, an API client that speaks as
one user, and database set-up. (Test modules import them from here: outside `tests/`
itself, `conftest` may name another folder's conftest module.)"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, event, make_url, select, text
from sqlalchemy.engine import URL

from watchkeep.outbox import queries, store
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


def postgres_admin_url() -> URL:
    return make_url(os.environ.get("WATCHKEEP_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers, else why the PostgreSQL tests cannot run."""
    url = postgres_admin_url()
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL not reachable at {url.render_as_string()}: {exc.__class__.__name__}"
    finally:
        engine.dispose()
    return None


def create_postgres_database() -> URL:
    """A new empty database on the test server, so runs never share state."""
    admin = postgres_admin_url()
    name = f"watchkeep_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name)


def drop_postgres_database(url: URL) -> None:
    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()


class Api:
    """A TestClient that speaks as one user."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def as_(self, token: str) -> Api:
        return Api(self.client, token)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json: object = None, **kwargs: Any) -> Response:
        return self.client.post(path, json=json, headers=self.headers, **kwargs)

    def patch(self, path: str, json: object = None, **kwargs: Any) -> Response:
        return self.client.patch(path, json=json, headers=self.headers, **kwargs)

    def put(self, path: str, json: object = None, **kwargs: Any) -> Response:
        return self.client.put(path, json=json, headers=self.headers, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.client.delete(path, headers=self.headers, **kwargs)


class Delivery:
    """Runs the worker until the outbox is empty, moving time forward as needed."""

    def __init__(self, runtime: Runtime, clock: FrozenClock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.worker = runtime.worker()

    def __call__(self, max_rounds: int = 2000, *, until: datetime | None = None) -> None:
        """`until`: leave rows due after that time (a later escalation step) waiting."""
        for _ in range(max_rounds):
            self.worker.drain()
            with self.runtime.db.read() as session:
                if queries.pending_count(session) == 0:
                    return
                due = store.next_due_at(session)
            if due is None or (until is not None and due > until):
                return
            if due > self.clock.now():
                self.clock.advance(seconds=(due - self.clock.now()).total_seconds())
        with self.runtime.db.read() as session:
            left = session.scalars(select(OutboxRow).limit(5)).all()
            raise AssertionError(
                "the outbox never emptied: "
                + "; ".join(f"{r.kind} due {r.due_at} ({r.last_error})" for r in left)
            )

    def pending(self) -> int:
        with self.runtime.db.read() as session:
            return queries.pending_count(session)


class Terminator:
    """Kills the backend of the connection that runs a matching statement (or COMMIT),
    the first `times` times: what a failover does to a transaction in flight."""

    def __init__(self, runtime: Runtime, pg_url: str) -> None:
        self.engine = runtime.db.engine
        self.admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        self.seen = 0
        self.times = 0

    def _kill(self, dbapi_connection: Any) -> None:
        pid = dbapi_connection.info.backend_pid
        with self.admin.connect() as connection:
            assert connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
            ).scalar()

    def on_statement(self, marker: str, times: int = 1) -> None:
        self.times = times

        def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if marker in statement:
                self.seen += 1
                if self.seen <= self.times:
                    self._kill(cursor.connection)

        event.listen(self.engine, "before_cursor_execute", before)

    def on_commit(self, marker_table: str) -> None:
        def commit(conn: Any) -> None:
            if conn.info.get("touched") and self.seen == 0:
                self.seen += 1
                self._kill(conn.connection.dbapi_connection)

        def mark(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if marker_table in statement and statement.startswith("UPDATE"):
                conn.info["touched"] = True

        event.listen(self.engine, "before_cursor_execute", mark)
        event.listen(self.engine, "commit", commit)

    def close(self) -> None:
        self.admin.dispose()


class Metrics:
    """`/metrics` read as an admin would scrape it: a sample's value by name and labels.

    Counters are per process and the suite shares one, so tests compare a scrape
    before with one after (`delta`) rather than reading absolute values.
    """

    def __init__(self, api: Api) -> None:
        self.api = api
        self.samples = self.scrape()

    def scrape(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        response = self.api.get("/metrics")
        assert response.status_code == 200, response.text
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float | None:
        return self.scrape().get((name, frozenset(labels.items())))

    def delta(self, name: str, **labels: str) -> float:
        """How much the sample grew since this object was made (or last `mark`)."""
        key = (name, frozenset(labels.items()))
        return self.scrape().get(key, 0.0) - self.samples.get(key, 0.0)

    def mark(self) -> None:
        self.samples = self.scrape()
