"""Runbook stories over the fake Slack: a HIGH incident opens its war room, people are
invited, the first assessment and an update thread appear, and later changes reply there."""

from __future__ import annotations

from datetime import timedelta

from runbook_story import WAR_ROOM, runs, save, save_yaml, steps, trigger

from watchkeep.fakeslack import SlackState, Workspace

from slack_story import texts
from support import Api, Delivery, FrozenClock


def test_a_high_incident_opens_its_war_room(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
) -> None:
    alice = slack.add_user(connected, "alice", email="alice@example.com")
    team = admin_api.post("/api/v1/teams", {"name": "sre-team"}).json()
    user = admin_api.post(
        "/api/v1/users", {"email": "alice@example.com", "name": "Alice", "role": "responder"}
    ).json()
    admin_api.patch(f"/api/v1/teams/{team['id']}", {"member_ids": [user["id"]]})
    runbook = save_yaml(admin_api, WAR_ROOM)
    incident = trigger(admin_api, service_id, description="Checkout <!channel> is down")
    deliver()

    room = slack.channel("#incident-1")
    assert room.purpose == "Channel for incident 1"
    assert room.members == [connected.bot_user_id, alice.id]
    [first, thread] = slack.messages_in("#incident-1")
    assert first.text == "🚨 HIGH incident detected in checkout"
    assert texts(first) == ["*Impact*: Checkout &lt;!channel&gt; is down"]
    assert thread.text == "Updates for incident 1"

    [run] = runs(admin_api, incident["id"])
    assert run["runbook_id"] == runbook["id"]
    assert run["version"] == 1
    assert run["status"] == "SUCCEEDED"
    assert [step["status"] for step in run["steps"]] == ["SUCCEEDED"] * 3
    assert run["steps"][0]["result"]["channel_id"] == room.id
    assert run["steps"][0]["result"]["invited"] == [alice.id]
    assert run["steps"][0]["result"]["unmapped"] == ["@oncall: nobody is on call for this service"]

    shown = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert shown["channel"]["id"] == room.id
    assert shown["channel"]["name"] == "incident-1"
    [announced] = slack.messages_in("#ops")
    assert f"Response in <#{room.id}>" in texts(announced)

    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    deliver()
    replies = slack.thread("#incident-1", thread.ts)
    assert [reply.text for reply in replies[1:]] == ["👀 Acknowledged by *Ada Admin*"]


def test_invite_topic_summary_and_archive(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    bob = slack.add_user(connected, "bob", email="bob@example.com")
    slack.add_channel(connected, "incidents-all")
    save(
        admin_api,
        steps(
            {"operation": "create_channel", "name": "inc-[incident.id]-[incident.title]"},
            {"operation": "invite_users", "add_users": ["bob@example.com", "ghost@example.com"]},
            {"operation": "set_topic", "topic": "[incident.title] — [incident.status]"},
        ),
    )
    save(
        admin_api,
        {
            "name": "after",
            "trigger": {"events": ["incident.resolved"]},
            "steps": [
                {"Operation": "Post Summary", "Channel": "#incidents-all"},
                {"Operation": "Archive Channel"},
            ],
        },
    )
    incident = trigger(admin_api, service_id)
    deliver()
    room = slack.channel("#inc-1-checkout-502s")
    assert room.members == [connected.bot_user_id, bob.id]
    assert room.topic == "Checkout 502s — TRIGGERED"
    [run] = runs(admin_api, incident["id"])
    assert run["steps"][1]["result"]["invited"] == [bob.id]
    assert run["steps"][1]["result"]["unmapped"] == ["ghost@example.com: no Slack user"]

    admin_api.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    admin_api.post(f"/api/v1/incidents/{incident['id']}/resolve", {"note": "Rolled back"})
    deliver()
    [summary] = slack.messages_in("#incidents-all")
    assert summary.text == "Summary: #1 Checkout 502s"
    shown = texts(summary)
    assert shown[0] == "Summary: #1 Checkout 502s"
    assert "*Acknowledged by*\nAda Admin at 2026-03-02 09:00 UTC" in shown
    assert "*Time to resolve*\n0s" in shown
    assert "*Resolution*\nRolled back" in shown
    assert slack.channel(room.id).is_archived
    assert admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["channel"]["archived"]


def test_a_wait_step_holds_the_next_step(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    service_id: int,
    clock: FrozenClock,
) -> None:
    save(
        admin_api,
        steps(
            {"operation": "send_message", "channel": "#ops", "message": "first"},
            {"Operation": "Wait", "Minutes": 10},
            {"operation": "send_message", "channel": "#ops", "message": "second"},
        ),
    )
    trigger(admin_api, service_id)
    start = clock.now()
    deliver()
    first = next(m for m in slack.messages_in("#ops") if m.text == "first")
    second = next(m for m in slack.messages_in("#ops") if m.text == "second")
    # The fake makes two messages of one instant unique by a microsecond of their ts.
    assert float(second.ts) - float(first.ts) >= 600 - 1e-6
    assert clock.now() - start >= timedelta(minutes=10)


def test_name_taken_moves_on_to_dash_two(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    slack.add_channel(connected, "incident-1")
    save(admin_api, steps({"operation": "create_channel", "name": "incident-[incident.id]"}))
    incident = trigger(admin_api, service_id)
    deliver()
    assert slack.channel("#incident-1-2").creator == connected.bot_user_id
    creates = [call.response.get("error", "ok") for call in slack.calls("conversations.create")]
    assert creates == ["name_taken", "ok"]
    shown = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert shown["channel"]["name"] == "incident-1-2"


def test_already_in_channel_is_not_a_failure(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    carol = slack.add_user(connected, "carol")
    slack.add_members("#ops", carol)
    save(
        admin_api, steps({"operation": "invite_users", "channel": "#ops", "add_users": [carol.id]})
    )
    incident = trigger(admin_api, service_id)
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "SUCCEEDED"
    assert run["steps"][0]["result"]["invited"] == []
    assert run["steps"][0]["result"]["not_invited"] == [
        {"user": carol.id, "error": "already_in_channel"}
    ]


def test_users_not_found_is_listed_in_the_run_log(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    save(
        admin_api,
        steps(
            {"operation": "invite_users", "channel": "#ops", "add_users": ["nobody@example.com"]}
        ),
    )
    incident = trigger(admin_api, service_id)
    deliver()
    [lookup] = slack.calls("users.lookupByEmail")
    assert lookup.response["error"] == "users_not_found"
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "SUCCEEDED"
    assert run["steps"][0]["result"]["unmapped"] == ["nobody@example.com: no Slack user"]
    assert slack.calls("conversations.invite") == []


def test_restricted_action_stops_the_run_with_slacks_error(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    slack.faults.fail_next("conversations.create", "restricted_action")
    save(
        admin_api,
        steps(
            {"operation": "create_channel", "name": "incident-[incident.id]"},
            {"operation": "send_message", "message": "hello"},
        ),
    )
    incident = trigger(admin_api, service_id)
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "FAILED"
    assert [step["status"] for step in run["steps"]] == ["FAILED", "PENDING"]
    assert run["steps"][0]["error"] == "restricted_action: conversations.create incident-1"
    timeline = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()["timeline"]
    [entry] = [e for e in timeline if e["type"] == "runbook_step_failed"]
    assert entry["message"] == (
        "Runbook 'story' step 1 (create_channel) failed: restricted_action "
        "(conversations.create incident-1); the run stopped"
    )
    assert entry["data"]["error"] == "restricted_action"

    retried = admin_api.post(f"/api/v1/runbook-runs/{run['id']}/retry")
    assert retried.status_code == 200, retried.text
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "SUCCEEDED"
    assert [m.text for m in slack.messages_in("#incident-1")] == ["hello"]
    assert admin_api.post(f"/api/v1/runbook-runs/{run['id']}/retry").status_code == 409


def test_is_archived_is_skipped_with_continue_on_error(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    slack.add_channel(connected, "old-room", archived=True)
    save(
        admin_api,
        steps(
            {
                "operation": "send_message",
                "channel": "#old-room",
                "message": "x",
                "continue_on_error": True,
            },
            {"operation": "send_message", "channel": "#ops", "message": "still here"},
        ),
    )
    incident = trigger(admin_api, service_id)
    deliver()
    [run] = runs(admin_api, incident["id"])
    assert run["status"] == "SUCCEEDED"
    assert [step["status"] for step in run["steps"]] == ["SKIPPED", "SUCCEEDED"]
    assert run["steps"][0]["error"] == "is_archived: chat.postMessage"
    assert "still here" in [m.text for m in slack.messages_in("#ops")]


def test_a_429_on_conversations_create_waits_retry_after(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    slack.faults.ratelimit_next("conversations.create", retry_after=30)
    save(admin_api, steps({"operation": "create_channel", "name": "incident-[incident.id]"}))
    trigger(admin_api, service_id)
    deliver()
    calls = slack.calls("conversations.create")
    assert [call.status for call in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 30
    assert [c.name for c in slack.channels.values() if c.name.startswith("incident-")] == [
        "incident-1"
    ]
