"""A storm in one channel: a digest shows it at once, then every incident still gets
its own message, with its buttons, as fast as Slack's pace allows."""

from __future__ import annotations

from watchkeep.fakeslack import SlackState, Workspace

from slack_story import controls, texts
from support import Api, Delivery, FrozenClock

CONTROLS = ["Acknowledge", "Resolve", "Snooze", "View in Watchkeep"]


def storm(api: Api, service_id: int, count: int) -> None:
    for i in range(1, count + 1):
        urgency = "HIGH" if i % 100 == 0 else "MEDIUM"
        body = {"title": f"Node {i} down", "service_id": service_id, "urgency": urgency}
        assert api.post("/api/v1/incidents", body).status_code == 201


def test_a_500_incident_storm_is_seen_at_once_and_nothing_is_lost(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    clock: FrozenClock,
    service_id: int,
) -> None:
    storm(admin_api, service_id, 500)
    deliver(until=clock.now())
    seen = slack.messages_in("#ops")
    headline = "🚨 500 new incidents on checkout in the last minute"
    # Within the storm's first second: the digest shares Slack's burst with the most
    # urgent incident, instead of waiting behind 500 of them.
    assert sorted(m.text for m in seen) == ["[HIGH] #100 Node 100 down (triggered)", headline]
    [digest] = [m for m in seen if m.text == headline]
    assert texts(digest)[:2] == [
        headline,
        "🔴 #100 Node 100 down\n🔴 #200 Node 200 down\n🔴 #300 Node 300 down\n"
        "🔴 #400 Node 400 down\n🔴 #500 Node 500 down\n…and 495 more",
    ]
    assert controls(digest) == ["See them all"]

    deliver()
    posted = [m for m in slack.messages_in("#ops") if m.ts != digest.ts]
    numbers = [int(m.text.split("#")[1].split()[0]) for m in posted]
    assert sorted(numbers) == list(range(1, 501)), "every incident has its own message"
    assert numbers[:5] == [100, 200, 300, 400, 500], "the most urgent first"
    assert all(controls(m) == CONTROLS for m in posted)
    assert slack.message("#ops", digest.ts).text == headline
    assert len(slack.calls("chat.update")) < 10, "the digest's updates coalesce"


def test_a_burst_the_pace_absorbs_gets_no_digest(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    storm(admin_api, service_id, 30)
    deliver()
    messages = slack.messages_in("#ops")
    assert len(messages) == 30
    assert not any(m.text.startswith("🚨") for m in messages)


def test_the_digest_grows_with_the_storm_and_a_later_storm_gets_its_own(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    clock: FrozenClock,
    service_id: int,
) -> None:
    storm(admin_api, service_id, 100)
    deliver(until=clock.now())
    [digest] = [m for m in slack.messages_in("#ops") if m.text.startswith("🚨")]
    first = digest.text
    assert first == "🚨 100 new incidents on checkout in the last minute"
    clock.advance(seconds=30)
    storm(admin_api, service_id, 50)
    deliver(until=clock.now())
    grown = slack.message("#ops", digest.ts)
    assert grown.text == "🚨 150 new incidents on checkout in the last minute"
    assert grown.history[0]["text"] == first, "updated in place, not posted again"
    deliver()
    clock.advance(minutes=5)
    storm(admin_api, service_id, 100)
    deliver()
    digests = [m.text for m in slack.messages_in("#ops") if m.text.startswith("🚨")]
    assert digests == [
        "🚨 150 new incidents on checkout in the last minute",
        "🚨 100 new incidents on checkout in the last minute",
    ]
