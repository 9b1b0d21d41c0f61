"""A story over the fake Slack: incidents arrive as rich messages, every change
lands in the thread and updates the message."""

from __future__ import annotations

from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.slack import workspaces
from watchkeep.slack.render import slack_date
from watchkeep.slack.workspaces import CheckedToken

from slack_story import controls, texts
from support import Api, Delivery, FrozenClock


def trigger(api: Api, service_id: int, **fields: object) -> dict:
    response = api.post(
        "/api/v1/incidents", {"title": "Checkout 502s", "service_id": service_id, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


def attachment(message) -> dict:
    [first] = message.attachments
    return first


def action_ids(message) -> list[str]:
    ids = []
    for block in attachment(message)["blocks"]:
        ids += [
            element["action_id"] for element in block.get("elements", []) if "action_id" in element
        ]
    return ids


def test_a_new_incident_arrives_as_a_rich_message(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, clock: FrozenClock
) -> None:
    service = admin_api.post("/api/v1/services", {"name": "web"}).json()
    incident = trigger(admin_api, service["id"], urgency="HIGH", description="5xx above 10%")
    assert slack.messages_in("#incidents") == [], "nothing is sent inside the request"
    deliver()
    [message] = slack.messages_in("#incidents")
    assert attachment(message)["color"] == "#E01E5A"
    assert message.text == "[HIGH] #1 Checkout 502s (triggered)"
    assert texts(message) == [
        "🔴 #1 Checkout 502s",
        "*Service*\nweb",
        "*Urgency*\nHigh",
        "*Status*\n🚨 Triggered",
        "*Triggered*\n<!date^1772442000^{ago} · {date_short_pretty} {time}|2026-03-02 09:00 UTC>",
        "5xx above 10%",
        "Incident #1 · web",
    ]
    assert action_ids(message) == [
        "incident_acknowledge",
        "incident_resolve",
        "incident_snooze",
        "incident_view",
    ]
    view = attachment(message)["blocks"][-2]["elements"][-1]
    assert view["url"] == f"https://watchkeep.example.com/incidents/{incident['id']}"


def test_colours_follow_urgency(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    admin_api.patch(f"/api/v1/services/{service_id}", {"slack_channel": None})
    for urgency in ("HIGH", "MEDIUM", "LOW"):
        trigger(admin_api, service_id, urgency=urgency, title=urgency)
    deliver()
    colours = {m.text.split()[0]: attachment(m)["color"] for m in slack.messages_in("#incidents")}
    assert colours == {"[HIGH]": "#E01E5A", "[MEDIUM]": "#ECB22E", "[LOW]": "#2E7DD7"}


def test_every_change_replies_in_the_thread_and_updates_the_message(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, clock: FrozenClock
) -> None:
    service = admin_api.post("/api/v1/services", {"name": "db"}).json()
    incident = trigger(admin_api, service["id"])
    deliver()
    path = f"/api/v1/incidents/{incident['id']}"
    [parent] = slack.messages_in("#incidents")

    acknowledged_at = clock.now()
    admin_api.post(f"{path}/acknowledge")
    deliver()
    parent = slack.message("#incidents", parent.ts)
    assert controls(parent) == ["Acknowledged ✓", "Resolve", "Snooze", "View in Watchkeep"]
    assert action_ids(parent)[0] == "incident_acknowledged"
    assert f"👀 Acknowledged by *Ada Admin* {slack_date(acknowledged_at)}" in texts(parent)

    admin_api.post(f"{path}/snooze", {"minutes": 30})
    resolved_at = clock.now()
    admin_api.post(f"{path}/resolve", {"note": "restarted the primary"})
    deliver()
    replies = [m.text for m in slack.thread("#incidents", parent.ts)[1:]]
    assert replies[0] == "👀 Acknowledged by *Ada Admin*"
    assert replies[1].startswith("💤 Snoozed by *Ada Admin* until <!date^")
    assert replies[2] == (
        "✅ Resolved by *Ada Admin*\n>restarted the primary\n"
        "Lasted 0 s · acknowledged after 0 s by *Ada Admin* · no alerts · "
        "no escalation step paged"
    )
    parent = slack.message("#incidents", parent.ts)
    assert action_ids(parent) == ["incident_view"], "controls are gone once resolved"
    assert "*Status*\n✅ Resolved" in texts(parent)
    resolved = f"✅ Resolved by *Ada Admin* {slack_date(resolved_at)}\n>restarted the primary"
    assert resolved in texts(parent)
    assert len(slack.messages_in("#incidents")) == 1, "replies stay in the thread"


def test_routing_service_then_urgency_then_default(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery
) -> None:
    admin_api.put("/api/v1/integrations/slack", {"urgency_channels": {"HIGH": "#critical"}})
    owned = admin_api.post("/api/v1/services", {"name": "pay", "slack_channel": "#payments"}).json()
    plain = admin_api.post("/api/v1/services", {"name": "blog"}).json()
    trigger(admin_api, owned["id"], urgency="HIGH", title="owned")
    trigger(admin_api, plain["id"], urgency="HIGH", title="critical")
    trigger(admin_api, plain["id"], urgency="LOW", title="default")
    deliver()
    assert ["owned" in m.text for m in slack.messages_in("#payments")] == [True]
    assert ["critical" in m.text for m in slack.messages_in("#critical")] == [True]
    assert ["default" in m.text for m in slack.messages_in("#incidents")] == [True]


def test_the_urgency_filter_keeps_quiet_incidents_out(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    admin_api.patch(f"/api/v1/services/{service_id}", {"slack_channel": None})
    admin_api.put("/api/v1/integrations/slack", {"urgency_filter": "high"})
    low = trigger(admin_api, service_id, urgency="LOW", title="low one")
    trigger(admin_api, service_id, urgency="HIGH", title="high one")
    admin_api.post(f"/api/v1/incidents/{low['id']}/acknowledge")
    deliver()
    assert [("high one" in m.text) for m in slack.messages_in("#incidents")] == [True]
    assert slack.calls("chat.update") == []


def test_event_toggles_choose_the_thread_replies(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    admin_api.patch(f"/api/v1/services/{service_id}", {"slack_channel": None})
    incident = trigger(admin_api, service_id)
    path = f"/api/v1/incidents/{incident['id']}"
    admin_api.post(f"{path}/notes", {"text": "off by default"})
    deliver()
    [parent] = slack.messages_in("#incidents")
    assert slack.thread("#incidents", parent.ts)[1:] == []
    admin_api.put(
        "/api/v1/integrations/slack",
        {"events": {"note_added": True, "incident_acknowledged": False}},
    )
    admin_api.post(f"{path}/notes", {"text": "now <b>on</b>"})
    admin_api.post(f"{path}/acknowledge")
    deliver()
    replies = [m.text for m in slack.thread("#incidents", parent.ts)[1:]]
    assert replies == ["📝 *Ada Admin*: now &lt;b&gt;on&lt;/b&gt;"]
    assert controls(slack.message("#incidents", parent.ts))[0] == "Acknowledged ✓"


def test_untrusted_text_is_escaped_and_cut_to_block_kit_limits(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, service_id: int
) -> None:
    admin_api.patch(f"/api/v1/services/{service_id}", {"slack_channel": None})
    trigger(
        admin_api,
        service_id,
        title="<!channel> & <https://evil.example|your bank> " + "x" * 900,
        description="<@U123> ping & <!here>\n" + "y" * 10_000,
    )
    deliver()
    [message] = slack.messages_in("#incidents")
    assert not [c for c in slack.calls() if c.error == "invalid_blocks"]
    blocks = attachment(message)["blocks"]
    header = blocks[0]["text"]["text"]
    assert len(header) == 150, "cut to the header limit"
    assert header.endswith("…")
    # plain_text (the header) is never parsed; every mrkdwn text must be inert.
    mrkdwn = [message.text] + [
        text["text"]
        for block in blocks
        for text in [block.get("text") or {}, *block.get("fields", []), *block.get("elements", [])]
        if text.get("type") == "mrkdwn"
    ]
    for live in ("<!channel>", "<!here>", "<@U123>", "<https://evil"):
        assert not [text for text in mrkdwn if live in text]
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|your bank&gt;" in message.text
    assert max(len(b.get("text", {}).get("text", "")) for b in blocks) == 3000


def test_an_escalation_replies_in_the_thread_mentioning_the_people_paged(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery
) -> None:
    noor_in_slack = slack.add_user(connected, "noor", email="noor@example.com")
    noor = admin_api.post("/api/v1/users", {"email": "noor@example.com", "name": "Noor"}).json()
    omar = admin_api.post("/api/v1/users", {"email": "omar@example.com", "name": "Omar"}).json()
    targets = [{"type": "user", "id": noor["id"]}, {"type": "user", "id": omar["id"]}]
    policy = admin_api.post(
        "/api/v1/escalation-policies",
        {"name": "db", "steps": [{"delay_minutes": 5, "targets": targets}]},
    )
    assert policy.status_code == 201, policy.text
    service = admin_api.post(
        "/api/v1/services", {"name": "db", "escalation_policy_id": policy.json()["id"]}
    ).json()
    trigger(admin_api, service["id"])
    deliver()
    [parent] = slack.messages_in("#incidents")
    [escalated] = [
        reply.text
        for reply in slack.thread("#incidents", parent.ts)[1:]
        if reply.text.startswith("📣")
    ]
    assert escalated == f"📣 Escalated (step 1): paging <@{noor_in_slack.id}>, Omar"


def test_a_missed_sla_replies_in_the_thread_once(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, clock
) -> None:
    service = admin_api.post("/api/v1/services", {"name": "api", "ack_sla_minutes": 5}).json()
    trigger(admin_api, service["id"])
    deliver()
    clock.advance(minutes=6)
    deliver()
    clock.advance(minutes=60)
    deliver()
    [parent] = slack.messages_in("#incidents")
    breaches = [
        reply.text
        for reply in slack.thread("#incidents", parent.ts)[1:]
        if reply.text.startswith("⏱️ SLA breached")
    ]
    assert breaches == [
        "⏱️ SLA breached: Acknowledge SLA missed: not acknowledged within 5 minutes "
        "(due 2026-03-02 09:05 UTC)"
    ]


def test_a_services_channel_applies_in_the_primary_workspace_only(
    admin_api: Api, connected: Workspace, slack: SlackState, deliver: Delivery, runtime
) -> None:
    other = slack.create_workspace("Globex")
    slack.add_channel(other, "alerts")
    with runtime.db.write() as session:
        workspace = workspaces.store_token(
            session, runtime.secrets, CheckedToken(other.token), now=runtime.clock.now()
        )
        workspace.default_channel = "#alerts"
    service = admin_api.post("/api/v1/services", {"name": "pay", "slack_channel": "#payments"})
    trigger(admin_api, service.json()["id"], title="payments down")
    deliver()
    assert len(slack.messages_in("#payments", team=connected)) == 1
    assert len(slack.messages_in("#alerts", team=other)) == 1
    assert [c for c in slack.calls() if c.error] == []
