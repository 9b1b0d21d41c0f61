"""The Events API on PostgreSQL: two web processes, one event delivered to each (Slack's
retry), and a pin and a 📌 of one message at once: one note, one reply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.config import Settings
from watchkeep.fakeslack import (
    FakeSlackServer,
    Message,
    SlackState,
    SlackUserAgent,
    User,
    Workspace,
)
from watchkeep.outbox import JobKind, queries
from watchkeep.runtime import Runtime, build_runtime

from slack_story import send_through
from support import Api, Delivery, FrozenClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def runtime(pg_runtime: Runtime) -> Runtime:
    return pg_runtime


@pytest.fixture
def replica(
    pg_url: str, clock: FrozenClock, tmp_path: Path, settings_overrides: dict
) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=pg_url,
        base_url="https://watchkeep.example.com",
        secret_key="test-secret-key",
        run_socket_mode=False,
        **settings_overrides,
    )
    other = build_runtime(settings, clock=clock)
    with TestClient(create_app(other, run_worker=False)) as test_client:
        yield test_client
    other.db.dispose()


def test_one_event_at_two_processes_and_two_marks_of_one_message_make_one_note(
    agent: SlackUserAgent,
    slack_server: FakeSlackServer,
    replica: TestClient,
    slack: SlackState,
    connected: Workspace,
    incident: dict,
    message: Message,
    admin_api: Api,
    runtime: Runtime,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    ada = slack.add_user(connected, "ada", email="admin1@example.com")
    bob: User = slack.add_user(connected, "bob", email="bob@elsewhere.example")
    delivery = agent.pin(message, ada)
    clock.advance(seconds=1)  # a retry is signed afresh: only its event_id repeats
    other = slack_server.user_agent(send_through(replica))
    assert other.retry(delivery, "http_timeout").status == 200
    other.react(message, "pushpin", bob)
    with runtime.db.read() as session:
        assert queries.pending_count(session, kind=JobKind.SLACK_EVENT) == 2
    deliver()
    notes = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["notes"]
    assert [n["author"]["name"] for n in notes] == ["Ada Admin"]
    assert [m.text for m in slack.thread("#ops", message.ts)[1:]] == [
        f"Saved to incident #{incident['number']}'s notes"
    ]
