"""Slack requests as an attacker or a crashing machine sends them, on both databases:
a replayed copy, a workspace that is not connected, ids no database holds, and two
first clicks of one user at once."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.fakeslack import Message, SlackState, SlackUserAgent, User, Workspace
from watchkeep.runtime import Runtime

from slack_story import send_through
from support import Api, Delivery, FrozenClock


@pytest.fixture
def runtime(any_runtime: Runtime) -> Runtime:
    return any_runtime


@pytest.fixture
def ada(slack: SlackState, connected: Workspace) -> User:
    return slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")


def incidents(api: Api) -> list[dict]:
    return api.get("/api/v1/incidents").json()["items"]


def told(slack: SlackState) -> list[str]:
    return [post["text"] for post in slack.response_urls.posts()]


def test_a_replayed_create_command_makes_one_incident(
    agent: SlackUserAgent,
    ada: User,
    slack: SlackState,
    admin_api: Api,
    service_id: int,
    clock: FrozenClock,
) -> None:
    ops = slack.channel("#ops")
    request = agent.requests.command(ada, "/watchkeep create Checkout is down", channel=ops)
    clock.advance(seconds=4)  # too late for the form (a trigger lives 3 s): made from the text
    first, copy = agent.send(request), agent.send(request)
    assert first.json()["text"] == "Created incident #1: Checkout is down"
    assert copy.json()["text"] == "This request was already handled."
    assert [i["title"] for i in incidents(admin_api)] == ["Checkout is down"]


def test_a_replayed_snooze_click_is_applied_and_announced_once(
    agent: SlackUserAgent,
    ada: User,
    message: Message,
    slack: SlackState,
    admin_api: Api,
    incident: dict,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    request = agent.requests.click(message, "incident_snooze", ada, option="30 min")
    agent.send(request)
    agent.send(request)
    for _ in range(3):  # a few paced seconds, not as far as the snooze's end
        deliver.worker.drain()
        clock.advance(seconds=2)
    timeline = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["timeline"]
    assert [entry["type"] for entry in timeline] == ["triggered", "snoozed"]
    replies = slack.thread("#ops", message.ts)[1:]
    assert len(replies) == 1
    assert told(slack) == ["This request was already handled."]


def test_a_copy_sent_to_another_replica_is_refused_too(
    agent: SlackUserAgent,
    ada: User,
    slack: SlackState,
    runtime: Runtime,
    admin_api: Api,
    service_id: int,
    clock: FrozenClock,
) -> None:
    """Two web processes on one database: the copy reaches the other one."""
    ops = slack.channel("#ops")
    request = agent.requests.command(ada, "/watchkeep create Checkout is down", channel=ops)
    clock.advance(seconds=4)
    with TestClient(create_app(runtime, run_worker=False)) as other_replica:
        first = agent.send(request)
        copy = send_through(other_replica)(request)
    assert (first.status, copy.json()["text"]) == (200, "This request was already handled.")
    assert [i["title"] for i in incidents(admin_api)] == ["Checkout is down"]


def test_a_workspace_that_is_not_connected_learns_nothing(
    slack: SlackState,
    slack_server,
    client: TestClient,
    connected: Workspace,
    incident: dict,
    deliver: Delivery,
) -> None:
    stranger_team = slack.create_workspace("Initech")
    slack.add_channel(stranger_team, "general")
    peter = slack.add_user(stranger_team, "peter", email="admin1@example.com")
    agent = slack_server.user_agent(send_through(client))
    general = slack.channel("#general", team=stranger_team)
    answers = [
        agent.command(peter, f"/watchkeep {typed}", channel=general).json()["text"]
        for typed in ("incidents", "status", "oncall", "ack #1", "help")
    ]
    assert answers == ["This Slack workspace is not connected to Watchkeep."] * 5
    bot = slack_server.client(stranger_team.token)
    button = {
        "type": "button",
        "action_id": "incident_acknowledged",
        "text": {"type": "plain_text", "text": "Acknowledged ✓"},
        "value": str(incident["id"]),
    }
    posted = bot.chat_postMessage(
        channel="#general", text="x", blocks=[{"type": "actions", "elements": [button]}]
    )
    agent.click(
        slack.message("#general", posted["ts"], team=stranger_team), "Acknowledged ✓", peter
    )
    deliver()
    assert told(slack) == ["This Slack workspace is not connected to Watchkeep."]


def test_a_button_value_beyond_any_id_is_an_unknown_incident(
    agent: SlackUserAgent,
    ada: User,
    slack: SlackState,
    slack_server,
    connected: Workspace,
    deliver: Delivery,
) -> None:
    bot = slack_server.client(connected.token)
    button = {
        "type": "button",
        "action_id": "incident_acknowledge",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "value": "99999999999999999999",
    }
    posted = bot.chat_postMessage(
        channel="#ops", text="old", blocks=[{"type": "actions", "elements": [button]}]
    )
    assert agent.click(slack.message("#ops", posted["ts"]), "Acknowledge", ada).status == 200
    deliver()
    assert told(slack) == ["That incident no longer exists in Watchkeep."]


def test_first_clicks_of_one_user_at_once_all_succeed(
    agent: SlackUserAgent,
    slack: SlackState,
    connected: Workspace,
    admin_api: Api,
    service_id: int,
    deliver: Delivery,
) -> None:
    """The Slack-user link is written by every first click: an upsert, not a race."""
    created = [
        admin_api.post("/api/v1/incidents", {"title": f"i{n}", "service_id": service_id}).json()
        for n in range(8)
    ]
    deliver()
    messages = slack.messages_in("#ops")
    ada = slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")
    requests = [agent.requests.click(m, "Acknowledge", ada) for m in messages]
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda r=r: answers.append(agent.send(r).status)) for r in requests
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 8
    statuses = [admin_api.get(f"/api/v1/incidents/{i['id']}").json()["status"] for i in created]
    assert statuses == ["ACKNOWLEDGED"] * 8
