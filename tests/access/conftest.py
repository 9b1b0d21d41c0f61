"""Fixtures of the access table: one fake Slack for the module, a fresh world per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from watchkeep.core import accounts, tokens
from watchkeep.fakeslack import (
    FakeSlackServer,
    Reply,
    SignedRequest,
    SlackState,
)
from watchkeep.runtime import Runtime

from access_world import PASSWORD, PEOPLE, SIGNING_SECRET, STATUS_NOTE, Who, World
from support import Api, Delivery, FrozenClock


@pytest.fixture(scope="module")
def slack_server() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


class _SharedClock:
    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


@pytest.fixture
def slack(slack_server: FakeSlackServer, clock: FrozenClock) -> SlackState:
    state = SlackState(clock=_SharedClock(clock), signing_secret=SIGNING_SECRET)
    return slack_server.reset(state)


@pytest.fixture
def settings_overrides(slack_server: FakeSlackServer) -> dict[str, object]:
    return {"slack_api_url": slack_server.url, "slack_timeout_seconds": 5}


def _send_through(client: TestClient) -> Callable[[SignedRequest], Reply]:
    def send(request: SignedRequest) -> Reply:
        answer = client.post(request.path, content=request.body, headers=request.headers)
        return Reply(answer.status_code, answer.content, dict(answer.headers))

    return send


def _people(runtime: Runtime) -> dict[Who, str]:
    made = {}
    now = runtime.clock.now()
    with runtime.db.write() as db:
        for who, (name, email, role, _) in PEOPLE.items():
            user = accounts.create_user(
                db, email=email, name=name, role=role, now=now, password=PASSWORD
            )
            made[who] = tokens.create_token(db, user, name="test", now=now)[1]
    return made


@pytest.fixture
def world(
    runtime: Runtime,
    client: TestClient,
    clock: FrozenClock,
    slack: SlackState,
    slack_server: FakeSlackServer,
) -> Iterator[World]:
    deliver = Delivery(runtime, clock)
    api = {who: Api(client, token) for who, token in _people(runtime).items()}
    admin = api[Who.ADMIN]
    ids = {u["email"]: u["id"] for u in admin.get("/api/v1/users").json()["items"]}
    team_ids = {}
    for team in ("payments", "search"):
        members = [ids[email] for _, email, _, t in PEOPLE.values() if t == team]
        made = admin.post("/api/v1/teams", {"name": team, "member_ids": members})
        team_ids[team] = made.json()["id"]
    workspace = slack.create_workspace("Acme Corp")
    for channel in ("incidents", "ops", "payments"):
        slack.add_channel(workspace, channel)
    users = {
        who: slack.add_user(workspace, email.split("@")[0], email=email, real_name=name)
        for who, (name, email, _, _) in PEOPLE.items()
    }
    users[Who.UNMAPPED] = slack.add_user(
        workspace, "sam", email="sam@elsewhere.example", real_name="Sam S."
    )
    connected = admin.put(
        "/api/v1/integrations/slack",
        {"bot_token": workspace.token, "signing_secret": SIGNING_SECRET},
    )
    assert connected.status_code == 200, connected.text
    services = {}
    for name, team, channel in (("checkout", "payments", "#payments"), ("shared", None, "#ops")):
        body = {"name": name, "team_id": team_ids.get(team or ""), "slack_channel": channel}
        services[name] = admin.post("/api/v1/services", body).json()["id"]
    runbook = admin.post(
        "/api/v1/runbooks",
        {
            "name": "war room",
            "trigger": {"events": ["incident.triggered"], "conditions": {"service": ["checkout"]}},
            "steps": [{"operation": "create_channel", "name": "incident-[incident.id]"}],
        },
    )
    assert runbook.status_code == 201, runbook.text
    manual = admin.post("/api/v1/runbooks", STATUS_NOTE)
    assert manual.status_code == 201, manual.text
    deliver()
    agent = slack_server.user_agent(_send_through(client))
    made = World(
        runtime,
        client,
        slack,
        agent,
        deliver,
        api,
        users,
        services,
        runbook.json()["id"],
        manual.json()["id"],
    )
    yield made
    for app in made.apps:
        app.__exit__(None, None, None)
