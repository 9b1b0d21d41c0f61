"""Socket Mode over the fake Slack: with an app-level token, clicks and slash commands
arrive over the WebSocket the app opened, run the handlers the HTTP endpoints run,
are acked with their answer and applied once, with one connection among replicas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from watchkeep.app import create_app
from watchkeep.config import Settings
from watchkeep.core import accounts, tokens
from watchkeep.core.models import Role
from watchkeep.fakeslack import (
    FakeSlackServer,
    Message,
    SlackState,
    User,
    Workspace,
    socket_sender,
)
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime, build_runtime
from watchkeep.slack import socket_mode

from support import Api, Delivery, FrozenClock


@pytest.fixture
def settings_overrides(slack_server: FakeSlackServer) -> dict[str, object]:
    return {
        "slack_api_url": slack_server.url,
        "slack_timeout_seconds": 5,
        "run_socket_mode": True,
        "socket_mode_poll_seconds": 0.05,
    }


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


def turn_on(api: Api, slack: SlackState) -> str:
    token = slack.issue_app_token()
    shown = api.put("/api/v1/integrations/slack", {"app_token": token}).json()
    assert shown["socket_mode"]["enabled"] is True
    assert shown["app_token"] == "••••" + token[-4:], "shown masked"
    slack.wait_for(lambda: len(slack.sockets.open_connections()) == 1)
    return token


def incident_status(api: Api, incident: dict) -> dict:
    return api.get(f"/api/v1/incidents/{incident['id']}").json()


def test_a_click_and_a_slash_command_arrive_over_the_websocket(
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    incident: dict,
    message: Message,
    ada: User,
    deliver: Delivery,
    runtime: Runtime,
) -> None:
    turn_on(admin_api, slack)
    agent = slack_server.user_agent(send=socket_sender(slack.sockets))
    assert agent.click(message, "Acknowledge", ada).status == 200
    now = incident_status(admin_api, incident)
    assert (now["status"], now["acknowledged_by"]["name"]) == ("ACKNOWLEDGED", "Ada Admin")
    assert now["timeline"][-1]["source"] == "slack"
    with runtime.db.read() as session:
        [event] = session.scalars(select(OutboxRow).where(OutboxRow.kind == "event")).all()
    assert len(event.request_id or "") == 32, "the envelope's id follows its change"
    reply = agent.command(
        ada, f"/watchkeep resolve #{incident['number']} disk cleaned", channel="#ops"
    )
    assert reply.json() == {
        "response_type": "ephemeral",
        "text": f"Resolved incident #{incident['number']}.",
    }
    assert incident_status(admin_api, incident)["resolution_note"] == "disk cleaned"
    assert [e.type for e in slack.sockets.envelopes] == ["interactive", "slash_commands"]
    assert all(e.acked for e in slack.sockets.envelopes)
    deliver()
    assert slack.thread("#ops", message.ts)[1].text == "👀 Acknowledged by *Ada Admin*"


def test_events_arrive_over_the_websocket_and_a_retry_is_applied_once(
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    incident: dict,
    message: Message,
    ada: User,
    deliver: Delivery,
) -> None:
    turn_on(admin_api, slack)
    agent = slack_server.user_agent(send=socket_sender(slack.sockets))
    delivery = agent.pin(message, ada)
    assert delivery.reply.status == 200
    # Slack's retry of an event is a new envelope with the same event_id.
    assert agent.retry(delivery).status == 200
    assert [e.type for e in slack.sockets.envelopes] == ["events_api", "events_api"]
    deliver()
    [note] = incident_status(admin_api, incident)["notes"]
    assert note["author"]["name"] == "Ada Admin"


def test_a_modal_submitted_over_the_websocket_gets_its_errors_in_the_ack(
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    message: Message,
    ada: User,
) -> None:
    turn_on(admin_api, slack)
    agent = slack_server.user_agent(send=socket_sender(slack.sockets))
    agent.click(message, "Snooze", ada, option="Custom…")
    [modal] = slack.open_views()
    reply = agent.submit(modal, ada, {"minutes": "forever"})
    assert reply.status == 200
    assert list(modal.errors) == ["minutes"]
    assert modal.closed is False


def test_an_envelope_delivered_twice_is_applied_once(
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    incident: dict,
    message: Message,
    ada: User,
    deliver: Delivery,
) -> None:
    turn_on(admin_api, slack)
    agent = slack_server.user_agent(send=socket_sender(slack.sockets))
    agent.click(message, "Acknowledge", ada)
    [first] = slack.sockets.envelopes
    again = slack.sockets.redeliver(first)
    assert again.acked
    acknowledged = [
        e for e in incident_status(admin_api, incident)["timeline"] if e["type"] == "acknowledged"
    ]
    assert len(acknowledged) == 1
    deliver()
    assert [post["text"] for post in slack.response_urls.posts()] == [
        "This request was already handled."
    ]


def test_the_connection_comes_back_after_refresh_and_errors(
    admin_api: Api,
    slack: SlackState,
    slack_server: FakeSlackServer,
    incident: dict,
    message: Message,
    ada: User,
) -> None:
    turn_on(admin_api, slack)
    agent = slack_server.user_agent(send=socket_sender(slack.sockets))
    first = slack.sockets.open_connections()[0].id
    slack.sockets.disconnect("refresh_requested")
    slack.wait_for(lambda: [c.id for c in slack.sockets.open_connections()] not in ([], [first]))
    slack.sockets.drop()
    slack.wait_for(lambda: len(slack.sockets.open_connections()) == 1, timeout=15)
    assert agent.command(ada, "/watchkeep help", channel="#ops").status == 200
    assert agent.click(message, "Acknowledge", ada).status == 200
    assert incident_status(admin_api, incident)["status"] == "ACKNOWLEDGED"
    assert len(slack.calls("apps.connections.open")) == 3


def test_turning_it_off_closes_the_connection_and_a_bad_token_is_shown(
    admin_api: Api, slack: SlackState, connected: Workspace
) -> None:
    turn_on(admin_api, slack)
    admin_api.put("/api/v1/integrations/slack", {"app_token": ""})
    slack.wait_for(lambda: slack.sockets.open_connections() == [])
    assert admin_api.get("/api/v1/integrations/slack").json()["socket_mode"] == {
        "enabled": False,
        "connected_at": None,
        "error": None,
    }
    refused = admin_api.put("/api/v1/integrations/slack", {"app_token": "xoxb-not-an-app-token"})
    assert refused.status_code == 422
    revoked = slack.issue_app_token()
    slack.revoke_token(revoked)
    admin_api.put("/api/v1/integrations/slack", {"app_token": revoked})
    slack.wait_for(
        lambda: admin_api.get("/api/v1/integrations/slack").json()["socket_mode"]["error"]
    )
    assert admin_api.get("/api/v1/integrations/slack").json()["socket_mode"]["error"] == (
        "Slack said: apps.connections.open: token_revoked"
    )


def admin_token(runtime: Runtime) -> str:
    with runtime.db.write() as session:
        user = accounts.create_user(
            session,
            email="admin1@example.com",
            name="Ada Admin",
            role=Role.ADMIN,
            now=runtime.clock.now(),
        )
        return tokens.create_token(session, user, name="test", now=runtime.clock.now())[1]


@pytest.fixture
def second_replica(
    pg_url: str, clock: FrozenClock, tmp_path: Path, settings_overrides: dict[str, object]
) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path / "second",
        database_url=pg_url,
        base_url="https://watchkeep.example.com",
        secret_key="test-secret-key",
        worker_threads=4,
        **settings_overrides,
    )
    runtime = build_runtime(settings, clock=clock)
    yield runtime
    runtime.db.dispose()


@pytest.mark.postgres
def test_two_replicas_hold_one_connection_and_the_other_takes_over_when_it_dies(
    pg_runtime: Runtime,
    second_replica: Runtime,
    pg_url: str,
    slack: SlackState,
    slack_server: FakeSlackServer,
    team: Workspace,
    clock: FrozenClock,
) -> None:
    with (
        TestClient(create_app(pg_runtime, run_worker=False)) as first,
        TestClient(create_app(second_replica, run_worker=False)) as second,
    ):
        api = Api(first, admin_token(pg_runtime))
        api.put(
            "/api/v1/integrations/slack",
            {"bot_token": team.token, "signing_secret": slack.signing_secret},
        )
        Delivery(pg_runtime, clock)()
        service = api.post("/api/v1/services", {"name": "checkout", "slack_channel": "#ops"})
        incident = api.post(
            "/api/v1/incidents", {"title": "Disk full", "service_id": service.json()["id"]}
        ).json()
        Delivery(pg_runtime, clock)()
        [message] = slack.messages_in("#ops")
        ada = slack.add_user(team, "ada", email="admin1@example.com")
        turn_on(api, slack)
        # The fake counts the socket as open before the SDK's connect() returns to the holder.
        replicas = (first, second)
        slack.wait_for(lambda: any(app.app.state.socket_mode.connected for app in replicas))
        holders = [app for app in replicas if app.app.state.socket_mode.connected]
        assert len(holders) == 1, "one replica holds the connection"
        assert len(slack.calls("apps.connections.open")) == 1

        agent = slack_server.user_agent(send=socket_sender(slack.sockets))
        assert agent.click(message, "Acknowledge", ada).status == 200
        acknowledged = [
            e for e in incident_status(api, incident)["timeline"] if e["type"] == "acknowledged"
        ]
        assert len(acknowledged) == 1

        # The holder's database connection dies: its lock goes, the other replica takes over.
        [holder] = holders
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            [pid] = connection.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :key"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ),
                {"key": socket_mode.LOCK_KEY},
            ).scalars()
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        other = second if holder is first else first
        slack.wait_for(lambda: other.app.state.socket_mode.connected, timeout=15)
        slack.wait_for(lambda: not holder.app.state.socket_mode.connected, timeout=15)
        slack.wait_for(lambda: len(slack.sockets.open_connections()) == 1, timeout=15)
        reply = agent.command(ada, f"/watchkeep resolve #{incident['number']}", channel="#ops")
        assert reply.json()["text"] == f"Resolved incident #{incident['number']}."
        resolved = [
            e for e in incident_status(api, incident)["timeline"] if e["type"] == "resolved"
        ]
        assert len(resolved) == 1
