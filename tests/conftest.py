"""Fixtures for the whole suite.

`db_url` is a freshly migrated SQLite database per test; `pg_url` the same on a
real PostgreSQL server (skipped with the reason when there is none, except in
CI, where a missing PostgreSQL is a failure). `any_db_url` runs a test on both.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from watchkeep.app import create_app
from watchkeep.config import Settings
from watchkeep.core import accounts, tokens
from watchkeep.core.models import Role
from watchkeep.db.engine import Database
from watchkeep.db.migrate import upgrade
from watchkeep.runtime import Runtime, build_runtime
from watchkeep.schema import Base

from support import (
    Api,
    FrozenClock,
    create_postgres_database,
    drop_postgres_database,
    postgres_unavailable_reason,
)

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own WATCHKEEP_* settings must never leak into a test."""
    for name in list(os.environ):
        if name.startswith("WATCHKEEP_") and name != "WATCHKEEP_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (much faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "watchkeep.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "watchkeep.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    reason = postgres_unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test PostgreSQL: {reason}")
        pytest.skip(reason)
    url = create_postgres_database()
    upgrade(Database(url.render_as_string(hide_password=False)))
    yield url.render_as_string(hide_password=False)
    drop_postgres_database(url)


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    engine = create_engine(pg_database)
    tables = ", ".join(
        f'"{table.name}"' for table in Base.metadata.sorted_tables if table.name != "counters"
    )
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("UPDATE counters SET value = 0"))
    engine.dispose()
    return pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Extra settings for the runtime; an area's conftest may override this fixture."""
    return {}


def _runtime(
    url: str, clock: FrozenClock, tmp_path: Path, overrides: dict[str, object]
) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        base_url="https://watchkeep.example.com",
        secret_key="test-secret-key",
        worker_threads=4,
        # Only the Socket Mode tests hold a connection (they say so in their overrides).
        **{"run_socket_mode": False, **overrides},
    )
    runtime = build_runtime(settings, clock=clock)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def runtime(
    db_url: str, clock: FrozenClock, tmp_path: Path, settings_overrides: dict[str, object]
) -> Iterator[Runtime]:
    """The runtime on SQLite."""
    yield from _runtime(db_url, clock, tmp_path, settings_overrides)


@pytest.fixture
def any_runtime(
    any_db_url: str, clock: FrozenClock, tmp_path: Path, settings_overrides: dict[str, object]
) -> Iterator[Runtime]:
    """The runtime on SQLite, then on PostgreSQL."""
    yield from _runtime(any_db_url, clock, tmp_path, settings_overrides)


@pytest.fixture
def pg_runtime(
    pg_url: str, clock: FrozenClock, tmp_path: Path, settings_overrides: dict[str, object]
) -> Iterator[Runtime]:
    """The runtime on PostgreSQL only."""
    yield from _runtime(pg_url, clock, tmp_path, settings_overrides)


@pytest.fixture
def racing_runtime(any_db_url: str, clock: FrozenClock, tmp_path: Path) -> Iterator[Runtime]:
    """`any_runtime` for races of many threads, with no more connections than a web
    process's thread pool uses (40): a shared PostgreSQL server allows only 100 in all."""
    yield from _runtime(any_db_url, clock, tmp_path, {"db_pool_size": 27})


@pytest.fixture
def make_token(runtime: Runtime) -> Callable[..., str]:
    """A bearer token for a new user of the given role (emails: admin1@…, viewer2@…)."""
    made: Counter[Role] = Counter()

    def make(role: Role = Role.RESPONDER, name: str | None = None) -> str:
        made[role] += 1
        n = made[role]
        with runtime.db.write() as session:
            user = accounts.create_user(
                session,
                email=f"{role.value}{n}@example.com",
                name=name or f"{role.value.title()} {n}",
                role=role,
                now=runtime.clock.now(),
            )
            _, token = tokens.create_token(session, user, name="test", now=runtime.clock.now())
            return token

    return make


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, run_worker=False)) as test_client:
        yield test_client


@pytest.fixture
def admin_api(client: TestClient, make_token: Callable[..., str]) -> Api:
    return Api(client, make_token(Role.ADMIN, "Ada Admin"))


@pytest.fixture
def service_id(admin_api: Api) -> int:
    response = admin_api.post("/api/v1/services", {"name": "checkout", "slack_channel": "#ops"})
    assert response.status_code == 201, response.text
    return response.json()["id"]
