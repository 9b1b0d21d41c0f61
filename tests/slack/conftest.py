"""Slack stories: the real app and worker against the fake Slack on loopback.

`slack` is a fresh fake Slack world per test (one server for the session),
with a workspace and channels; `connected` is that workspace connected to
Watchkeep through the settings API. `deliver()` runs the worker until nothing
is left to send, moving the frozen clock forward to each paced or retried row.
`agent` plays the people in Slack: it presses the buttons of the messages the
fake received and submits the modals it opened, signed with the app's secret.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from watchkeep.fakeslack import FakeSlackServer, Message, SlackState, SlackUserAgent, Workspace
from watchkeep.runtime import Runtime

from slack_story import send_through
from support import Api, Delivery, FrozenClock

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


class SharedClock:
    """The fake Slack reads the test's frozen clock, so both sides agree on time
    (its rate limiter refills as Watchkeep's pacing waits)."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


@pytest.fixture
def slack(slack_server: FakeSlackServer, clock: FrozenClock) -> SlackState:
    return slack_server.reset(SlackState(clock=SharedClock(clock), signing_secret=SIGNING_SECRET))


@pytest.fixture
def settings_overrides(slack_server: FakeSlackServer) -> dict[str, object]:
    return {"slack_api_url": slack_server.url, "slack_timeout_seconds": 5}


@pytest.fixture
def team(slack: SlackState) -> Workspace:
    workspace = slack.create_workspace("Acme Corp")
    for name in ("incidents", "ops", "critical", "payments"):
        slack.add_channel(workspace, name)
    return workspace


@pytest.fixture
def deliver(runtime: Runtime, clock: FrozenClock) -> Delivery:
    return Delivery(runtime, clock)


@pytest.fixture
def connected(admin_api: Api, slack: SlackState, team: Workspace, deliver: Delivery) -> Workspace:
    """The fake workspace connected through the API, its team learnt with auth.test."""
    response = admin_api.put(
        "/api/v1/integrations/slack",
        {
            "bot_token": team.token,
            "signing_secret": slack.signing_secret,
            "default_channel": "#incidents",
        },
    )
    assert response.status_code == 200, response.text
    deliver()
    assert admin_api.get("/api/v1/integrations/slack").json()["team_id"] == team.team_id
    return team


@pytest.fixture
def agent(
    client: TestClient, slack_server: FakeSlackServer, connected: Workspace
) -> SlackUserAgent:
    return slack_server.user_agent(send_through(client))


@pytest.fixture
def incident(admin_api: Api, service_id: int, connected: Workspace, deliver: Delivery) -> dict:
    """An incident on the `checkout` service, announced in its channel #ops."""
    created = admin_api.post("/api/v1/incidents", {"title": "Disk full", "service_id": service_id})
    deliver()
    return created.json()


@pytest.fixture
def message(slack: SlackState, incident: dict) -> Message:
    """The incident's message in #ops, as everyone in the channel sees it."""
    [posted] = slack.messages_in("#ops")
    return posted
