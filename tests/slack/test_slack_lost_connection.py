"""A click in flight when its PostgreSQL backend is terminated is not lost: nothing was
applied, so the app runs it once more and Slack gets its answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from watchkeep.fakeslack import SlackState, SlackUserAgent, Workspace
from watchkeep.runtime import Runtime

from support import Api, Delivery, Terminator

pytestmark = pytest.mark.postgres


@pytest.fixture
def runtime(pg_runtime: Runtime) -> Runtime:
    """Every fixture of this folder, on PostgreSQL."""
    return pg_runtime


@pytest.fixture
def terminator(pg_runtime: Runtime, pg_url: str) -> Iterator[Terminator]:
    killer = Terminator(pg_runtime, pg_url)
    yield killer
    killer.close()


def test_a_click_whose_connection_was_killed_is_applied_once(
    agent: SlackUserAgent,
    slack: SlackState,
    connected: Workspace,
    admin_api: Api,
    service_id: int,
    deliver: Delivery,
    terminator: Terminator,
) -> None:
    ada = slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")
    first, second = (
        admin_api.post("/api/v1/incidents", {"title": title, "service_id": service_id}).json()
        for title in ("Disk full", "CPU hot")
    )
    deliver()
    disk, cpu = slack.messages_in("#ops")
    # Her first click maps her Slack user (a commit of its own); the second is the test.
    assert agent.click(disk, "Acknowledge", ada).status == 200
    terminator.on_statement("UPDATE incidents")
    assert agent.click(cpu, "Acknowledge", ada).status == 200
    assert terminator.seen == 2, "killed once, then applied"
    now = admin_api.get(f"/api/v1/incidents/{second['id']}").json()
    assert now["status"] == "ACKNOWLEDGED"
    assert [e["type"] for e in now["timeline"]] == ["triggered", "acknowledged"]
    assert admin_api.get(f"/api/v1/incidents/{first['id']}").json()["status"] == "ACKNOWLEDGED"
