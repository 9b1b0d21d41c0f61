"""The Events API: Slack tells Watchkeep what people did, and Watchkeep acts once.

People pin and react in the fake Slack (the agent sends the signed
`event_callback` Slack would send); Watchkeep answers at once, does the work in
the worker, and a retried delivery is applied once, whichever process gets it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from runbook_story import save, steps, trigger
from sqlalchemy import select

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
from watchkeep.slack.models import SlackMessageNote

from slack_story import send_through
from support import Api, Delivery, FrozenClock


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    """Ada Admin's Slack account (her Watchkeep email)."""
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


@pytest.fixture
def bob(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "bob", email="bob@elsewhere.example", real_name="Bob B.")


def notes(api: Api, incident: dict) -> list[dict]:
    return api.get(f"/api/v1/incidents/{incident['id']}").json()["notes"]


def event_jobs(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return queries.pending_count(session, kind=JobKind.SLACK_EVENT)


def test_url_verification_echoes_the_challenge_once_signed(
    agent: SlackUserAgent, client: TestClient
) -> None:
    challenge, reply = agent.verify_url()
    assert reply.status == 200
    assert reply.json() == {"challenge": challenge}
    body = json.dumps({"type": "url_verification", "challenge": "forged"})
    unsigned = client.post("/api/slack/events", content=body)
    assert unsigned.status_code == 401


def test_a_pinned_incident_message_becomes_a_note_and_says_so(
    agent: SlackUserAgent,
    ada: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    delivery = agent.pin(message, ada)
    assert [reply.status for reply in delivery.replies] == [200]
    assert notes(admin_api, incident) == [], "the work waits for the worker"
    deliver()
    [note] = notes(admin_api, incident)
    link = f"https://acmecorp.slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}"
    assert note["text"] == f"{message.text}\n\nFrom Slack: {link}"
    assert note["author"]["name"] == "Ada Admin"
    assert note["source"] == "slack"
    assert [m.text for m in slack.thread("#ops", message.ts)[1:]] == [
        f"Saved to incident #{incident['number']}'s notes"
    ]


def test_a_pushpin_on_a_thread_reply_saves_the_reply_read_back_from_slack(
    agent: SlackUserAgent,
    ada: User,
    bob: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    reply = slack.post_as_user(
        "#ops", bob, "Root cause: <disk> on db-3 filled", thread_ts=message.ts
    )
    agent.react(reply, ":pushpin:", ada)
    agent.react(reply, "eyes", bob)
    deliver()
    [note] = notes(admin_api, incident)
    assert note["text"].startswith("Root cause: <disk> on db-3 filled\n\nFrom Slack: ")
    assert note["text"].endswith(f"?thread_ts={message.ts}&cid={message.channel}")
    assert len(slack.calls("conversations.history")) == 1, "history holds no thread reply"
    [replies] = slack.calls("conversations.replies")
    assert replies.params["ts"] == reply.ts
    assert [m.text for m in slack.thread("#ops", message.ts)[1:]] == [
        "Root cause: <disk> on db-3 filled",
        f"Saved to incident #{incident['number']}'s notes",
    ]


def test_someone_not_in_watchkeep_is_named_via_slack(
    agent: SlackUserAgent,
    bob: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    deliver: Delivery,
) -> None:
    agent.react(message, "pushpin", bob)
    deliver()
    [note] = notes(admin_api, incident)
    assert note["author"] == {"user_id": None, "name": "Bob B. via Slack"}


def test_the_same_message_pinned_and_reacted_to_is_one_note(
    agent: SlackUserAgent,
    runtime: Runtime,
    ada: User,
    bob: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    agent.pin(message, ada)
    agent.react(message, "pushpin", bob)
    deliver()
    agent.react(message, "pushpin", ada)
    deliver()
    [note] = notes(admin_api, incident)
    assert len(slack.thread("#ops", message.ts)) == 2
    with runtime.db.read() as session:
        [saved] = session.scalars(select(SlackMessageNote)).all()
        assert (saved.message_ts, saved.note_id) == (message.ts, note["id"])


def test_the_note_emoji_is_the_workspaces_choice(
    agent: SlackUserAgent,
    ada: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    deliver: Delivery,
) -> None:
    changed = admin_api.put("/api/v1/integrations/slack", {"note_emoji": ":memo:"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["note_emoji"] == "memo"
    agent.react(message, "pushpin", ada)
    deliver()
    assert notes(admin_api, incident) == []
    agent.react(message, "memo", ada)
    deliver()
    assert len(notes(admin_api, incident)) == 1
    refused = admin_api.put("/api/v1/integrations/slack", {"note_emoji": "not an emoji!"})
    assert refused.status_code == 422


def test_a_message_about_no_incident_is_left_alone(
    agent: SlackUserAgent,
    ada: User,
    incident: dict,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
) -> None:
    chatter = slack.post_as_user("#payments", ada, "lunch?")
    agent.react(chatter, "pushpin", ada)
    deliver()
    assert notes(admin_api, incident) == []
    assert slack.calls("conversations.history") == []


def test_a_retried_event_is_applied_once(
    agent: SlackUserAgent,
    clock: FrozenClock,
    ada: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    runtime: Runtime,
    deliver: Delivery,
) -> None:
    delivery = agent.react(message, "pushpin", ada)
    clock.advance(seconds=1)  # Slack retries later: signed afresh, only the event_id is the same
    again = agent.retry(delivery, "http_timeout")
    assert again.status == 200
    assert event_jobs(runtime) == 1
    deliver()
    agent.retry(delivery, "http_timeout")
    deliver()
    assert len(notes(admin_api, incident)) == 1


@pytest.fixture
def replica(
    db_url: str, clock: FrozenClock, tmp_path: Path, settings_overrides: dict
) -> Iterator[TestClient]:
    """A second web process on the same database."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        base_url="https://watchkeep.example.com",
        secret_key="test-secret-key",
        run_socket_mode=False,
        **settings_overrides,
    )
    other = build_runtime(settings, clock=clock)
    with TestClient(create_app(other, run_worker=False)) as test_client:
        yield test_client
    other.db.dispose()


def test_a_retry_that_reaches_another_process_is_applied_once(
    agent: SlackUserAgent,
    clock: FrozenClock,
    slack_server: FakeSlackServer,
    replica: TestClient,
    ada: User,
    incident: dict,
    message: Message,
    admin_api: Api,
    runtime: Runtime,
    deliver: Delivery,
) -> None:
    delivery = agent.pin(message, ada)
    clock.advance(seconds=1)
    other = slack_server.user_agent(send_through(replica))
    assert other.retry(delivery, "http_timeout").status == 200
    assert event_jobs(runtime) == 1
    deliver()
    assert len(notes(admin_api, incident)) == 1


def test_an_event_from_a_workspace_not_connected_is_ignored(
    agent: SlackUserAgent, slack: SlackState, runtime: Runtime, incident: dict
) -> None:
    elsewhere = slack.create_workspace("Other Corp")
    channel = slack.add_channel(elsewhere, "general")
    stranger = slack.add_user(elsewhere, "eve", email="admin1@example.com")
    posted = slack.post_as_user(channel, stranger, "pin me")
    assert agent.pin(posted, stranger).reply.status == 200
    assert event_jobs(runtime) == 0


def test_joining_an_incident_channel_is_on_its_timeline(
    agent: SlackUserAgent,
    ada: User,
    bob: User,
    admin_api: Api,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    save(
        admin_api,
        steps({"Action Type": "Slack", "Operation": "Create Channel", "Name": "inc-[incident.id]"}),
    )
    incident = trigger(admin_api, service_id)
    deliver()
    agent.join("#inc-1", bob)
    agent.join("#payments", ada)
    deliver()
    timeline = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["timeline"]
    [joined] = [entry for entry in timeline if entry["type"] == "member_joined"]
    assert joined["message"] == "Bob B. via Slack joined #inc-1"
    assert joined["source"] == "slack"
