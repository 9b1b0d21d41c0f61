"""What the messages say at 3 a.m.: how long ago it triggered, a resolution that sums
the incident up, and a workspace's choice of thread noise."""

from __future__ import annotations

from watchkeep.fakeslack import SlackState, Workspace

from slack_story import texts
from support import Api, Delivery, FrozenClock


def paging_policy(api: Api, service_id: int) -> None:
    me = next(u for u in api.get("/api/v1/users").json()["items"] if u["name"] == "Ada Admin")
    step = {"delay_minutes": 5, "targets": [{"type": "user", "id": me["id"]}]}
    policy = api.post("/api/v1/escalation-policies", {"name": "pay", "steps": [step, step]})
    assert policy.status_code == 201, policy.text
    api.patch(f"/api/v1/services/{service_id}", {"escalation_policy_id": policy.json()["id"]})


def alerts(api: Api, service_id: int, times: int) -> dict:
    made = api.post(
        f"/api/v1/services/{service_id}/integrations", {"type": "events_api_v2", "name": "pd"}
    ).json()
    for _ in range(times):
        sent = api.client.post(
            "/v2/enqueue",
            json={
                "routing_key": made["key"],
                "event_action": "trigger",
                "dedup_key": "disk-db3",
                "payload": {"summary": "Disk full on db-3", "source": "db-3", "severity": "error"},
            },
        )
        assert sent.status_code == 202, sent.text
    [incident] = api.get("/api/v1/incidents").json()["items"]
    return incident


def test_the_card_says_how_long_ago_it_triggered(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    admin_api.post("/api/v1/incidents", {"title": "Disk full", "service_id": service_id})
    deliver()
    [message] = slack.messages_in("#ops")
    when = "<!date^1772442000^{ago} · {date_short_pretty} {time}|2026-03-02 09:00 UTC>"
    assert f"*Triggered*\n{when}" in texts(message)


def test_the_resolution_sums_up_the_incident(
    admin_api: Api,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    clock: FrozenClock,
    service_id: int,
) -> None:
    paging_policy(admin_api, service_id)
    incident = alerts(admin_api, service_id, 3)
    deliver(until=clock.now())
    clock.advance(minutes=5)
    deliver(until=clock.now())
    clock.advance(minutes=2)
    path = f"/api/v1/incidents/{incident['id']}"
    assert admin_api.post(f"{path}/acknowledge").status_code == 200
    clock.advance(hours=1, minutes=3)
    admin_api.post(f"{path}/resolve", {"note": "grew the volume"})
    deliver()
    [message] = slack.messages_in("#ops")
    assert slack.thread("#ops", message.ts)[-1].text == (
        "✅ Resolved by *Ada Admin*\n>grew the volume\n"
        "Lasted 1 h 10 min · acknowledged after 7 min by *Ada Admin* · 3 alerts · "
        "2 escalation steps paged"
    )


def test_a_quiet_workspace_only_updates_the_message(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    changed = admin_api.put("/api/v1/integrations/slack", {"thread_updates": False})
    assert changed.json()["thread_updates"] is False
    made = admin_api.post("/api/v1/incidents", {"title": "Disk full", "service_id": service_id})
    deliver()
    admin_api.post(f"/api/v1/incidents/{made.json()['id']}/acknowledge")
    admin_api.post(f"/api/v1/incidents/{made.json()['id']}/resolve")
    deliver()
    [message] = slack.messages_in("#ops")
    assert slack.thread("#ops", message.ts) == [message]
    assert "*Status*\n✅ Resolved" in texts(message)


def test_the_resolution_can_also_go_to_the_channel(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"resolution_broadcast": True})
    made = admin_api.post("/api/v1/incidents", {"title": "Disk full", "service_id": service_id})
    deliver()
    admin_api.post(f"/api/v1/incidents/{made.json()['id']}/acknowledge")
    admin_api.post(f"/api/v1/incidents/{made.json()['id']}/resolve")
    deliver()
    [acked, resolved] = [c.params for c in slack.calls("chat.postMessage")[1:]]
    assert "reply_broadcast" not in acked
    assert resolved["reply_broadcast"] is True
    shown = [m.subtype for m in slack.messages_in("#ops")]
    assert shown == [None, "thread_broadcast"], "the resolution shows in the channel too"
