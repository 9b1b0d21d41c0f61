"""Paging by DM, over the fake Slack: each escalation step DMs the people it pages with
the incident card, an acknowledge from a DM updates every copy, the rules say who is
DMed and when again, and a person Slack does not know is named on the timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from watchkeep.fakeslack import SlackState, SlackUserAgent, User, Workspace
from watchkeep.runtime import Runtime

from slack_story import controls, texts
from support import Api, Delivery, FrozenClock


@pytest.fixture
def people(admin_api: Api, slack: SlackState, connected: Workspace) -> dict[str, tuple[int, User]]:
    """Alice and Bob in Watchkeep and in Slack (same emails); Carol only in Watchkeep."""
    found = {}
    for name in ("alice", "bob", "carol"):
        email = f"{name}@example.com"
        made = admin_api.post("/api/v1/users", {"email": email, "name": name.title()})
        assert made.status_code == 201, made.text
        slack_user = slack.add_user(connected, name, email=email) if name != "carol" else None
        found[name] = (made.json()["id"], slack_user)
    return found


@pytest.fixture
def paged_service(admin_api: Api, people: dict) -> int:
    """Step 1 pages Alice, step 2 (five minutes later) Bob and Carol."""
    steps = [
        {"delay_minutes": 5, "targets": [{"type": "user", "id": people["alice"][0]}]},
        {
            "delay_minutes": 5,
            "targets": [
                {"type": "user", "id": people["bob"][0]},
                {"type": "user", "id": people["carol"][0]},
            ],
        },
    ]
    policy = admin_api.post("/api/v1/escalation-policies", {"name": "Checkout", "steps": steps})
    assert policy.status_code == 201, policy.text
    service = admin_api.post(
        "/api/v1/services",
        {"name": "checkout", "slack_channel": "#ops", "escalation_policy_id": policy.json()["id"]},
    )
    return service.json()["id"]


def trigger(api: Api, service_id: int) -> dict:
    made = api.post("/api/v1/incidents", {"title": "Checkout 502s", "service_id": service_id})
    assert made.status_code == 201, made.text
    return made.json()


def timeline(api: Api, incident_id: int) -> list[tuple[str, str]]:
    entries = api.get(f"/api/v1/incidents/{incident_id}").json()["timeline"]
    return [(e["type"], e["message"]) for e in entries]


def test_a_two_step_escalation_dms_the_first_person_then_the_second(
    admin_api: Api,
    slack: SlackState,
    people: dict,
    paged_service: int,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    alice, bob = people["alice"][1], people["bob"][1]
    start = clock.now()
    incident = trigger(admin_api, paged_service)
    deliver(until=start + timedelta(minutes=4))
    [card] = slack.dm_messages(alice)
    assert card.text == "📟 You are paged: #1 Checkout 502s"
    assert texts(card)[0] == "🔴 #1 Checkout 502s"
    assert controls(card) == ["Acknowledge", "Resolve", "Snooze", "View in Watchkeep"]
    assert card.metadata["event_type"] == "watchkeep_delivery"
    assert slack.dm_messages(bob) == []
    # The thread still says who was paged, as before.
    [channel_message] = slack.messages_in("#ops")
    [_, reply] = slack.thread("#ops", channel_message.ts)
    assert reply.text == f"📣 Escalated (step 1): paging <@{alice.id}>"

    clock.advance(minutes=5)
    deliver(until=start + timedelta(minutes=9))
    assert len(slack.dm_messages(bob)) == 1
    assert len(slack.dm_messages(alice)) == 1
    assert ("notification_failed", "could not reach Carol in Slack") in timeline(
        admin_api, incident["id"]
    )
    [open_call] = [c for c in slack.calls("conversations.open") if c.params["users"] == bob.id]
    assert open_call.ok


def test_an_acknowledge_from_a_dm_updates_the_channel_message_and_every_dm(
    admin_api: Api,
    slack: SlackState,
    people: dict,
    paged_service: int,
    deliver: Delivery,
    clock: FrozenClock,
    agent: SlackUserAgent,
) -> None:
    alice, bob = people["alice"][1], people["bob"][1]
    start = clock.now()
    incident = trigger(admin_api, paged_service)
    deliver(until=start + timedelta(minutes=4))
    clock.advance(minutes=5)
    deliver(until=start + timedelta(minutes=9))
    [bobs_card] = slack.dm_messages(bob)
    assert agent.click(bobs_card, "Acknowledge", bob).status == 200
    deliver(until=start + timedelta(minutes=9))
    assert admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["status"] == "ACKNOWLEDGED"
    [channel_message] = slack.messages_in("#ops")
    for copy in (channel_message, *slack.dm_messages(alice), bobs_card):
        assert "*Status*\n👀 Acknowledged" in texts(copy)
        assert controls(copy)[0] == "Acknowledged ✓"
    # Alice's card says who took it.
    [alices_card] = slack.dm_messages(alice)
    assert texts(alices_card)[5].startswith("👀 Acknowledged by *Bob*")


def test_rules_turn_dms_off_and_dm_again_while_unacknowledged(
    admin_api: Api,
    slack: SlackState,
    people: dict,
    paged_service: int,
    deliver: Delivery,
    clock: FrozenClock,
    make_token,
) -> None:
    alice_id, bob_id = people["alice"][0], people["bob"][0]
    rules = admin_api.patch(
        f"/api/v1/users/{alice_id}", {"notification_rules": {"repeat_after_minutes": 2}}
    )
    assert rules.json()["notification_rules"] == {"slack_dm": True, "repeat_after_minutes": 2}
    off = admin_api.patch(f"/api/v1/users/{bob_id}", {"notification_rules": {"slack_dm": False}})
    assert off.json()["notification_rules"] == {"slack_dm": False, "repeat_after_minutes": None}
    start = clock.now()
    trigger(admin_api, paged_service)
    deliver(until=start + timedelta(minutes=3))
    assert len(slack.dm_messages(people["alice"][1])) == 2, "DMed at once, then after 2 minutes"
    deliver(until=start + timedelta(minutes=9))
    assert len(slack.dm_messages(people["alice"][1])) == 2, "one repeat per page"
    assert slack.dm_messages(people["bob"][1]) == []


def test_no_repeat_once_acknowledged(
    admin_api: Api,
    slack: SlackState,
    people: dict,
    paged_service: int,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    alice_id = people["alice"][0]
    admin_api.patch(
        f"/api/v1/users/{alice_id}", {"notification_rules": {"repeat_after_minutes": 2}}
    )
    start = clock.now()
    incident = trigger(admin_api, paged_service)
    deliver(until=start + timedelta(minutes=1))
    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    deliver(until=start + timedelta(minutes=9))
    assert len(slack.dm_messages(people["alice"][1])) == 1


class WorkerKilled(BaseException):
    """The process died: nothing after this point ran."""


def test_a_worker_killed_after_slack_posted_the_dm_does_not_post_it_twice(
    admin_api: Api,
    runtime: Runtime,
    slack: SlackState,
    people: dict,
    paged_service: int,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    gateway = runtime.slack.gateway
    real = gateway.call

    def call(token: str, method: str, /, **params: Any) -> dict[str, Any]:
        answer = real(token, method, **params)
        if method == "chat.postMessage" and params["channel"].startswith("D"):
            gateway.call = real  # type: ignore[method-assign]
            raise WorkerKilled(method)
        return answer

    gateway.call = call  # type: ignore[method-assign]
    start = clock.now()
    trigger(admin_api, paged_service)
    with pytest.raises(WorkerKilled):
        deliver(until=start + timedelta(minutes=1))
    alice = people["alice"][1]
    assert len(slack.dm_messages(alice)) == 1
    # The dead worker's lease runs out; another worker takes the DM over.
    clock.advance(seconds=runtime.settings.worker_lease_seconds + 1)
    Delivery(runtime, clock)(until=start + timedelta(minutes=4))
    assert len(slack.dm_messages(alice)) == 1
    [looked] = slack.calls("conversations.history")
    assert looked.params["channel"] == slack.dm_messages(alice)[0].channel
    # The adopted card is the one later changes update.
    admin_api.post("/api/v1/incidents/1/acknowledge")
    Delivery(runtime, clock)(until=start + timedelta(minutes=4))
    assert "*Status*\n👀 Acknowledged" in texts(slack.dm_messages(alice)[0])
