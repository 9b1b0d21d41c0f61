"""Test helpers shared across the suite: a clock we control, an API client that speaks as
one user, and database set-up. (Test modules import them from here: outside `tests/`
itself, `conftest` may name another folder's conftest module.)"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL

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


class Api:
    """A TestClient that speaks as one user."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def as_(self, token: str) -> Api:
        return Api(self.client, token)

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json: object = None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers, **kwargs)

    def patch(self, path: str, json: object = None, **kwargs):
        return self.client.patch(path, json=json, headers=self.headers, **kwargs)

    def put(self, path: str, json: object = None, **kwargs):
        return self.client.put(path, json=json, headers=self.headers, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.client.delete(path, headers=self.headers, **kwargs)


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
