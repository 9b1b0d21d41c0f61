"""A story over the fake Slack: an incident made by an alert shows what the alert
carried (a few labels, its links as buttons, its graph) and the deploy just before it."""

from __future__ import annotations

import sys
from pathlib import Path

from watchkeep.fakeslack import SlackState, Workspace

from slack_story import blocks_of, controls, texts
from support import Api, Delivery, FrozenClock

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from ingest_support import (
    add_integration,
    alertmanager_alert,
    alertmanager_notification,
    receiver,
    sample,
)


def post(api: Api, path: str, body: object) -> None:
    response = api.client.post(path, json=body)
    assert response.status_code == 202, response.text


def deploy(api: Api, service_id: int, summary: str, timestamp: str) -> None:
    key = add_integration(api, service_id, "events_api_v2", name="CI")["key"]
    body = sample("change_event_ci.json")
    body["routing_key"] = key
    body["payload"].update(summary=summary, timestamp=timestamp)
    post(api, "/v2/change/enqueue", body)


def test_an_alertmanager_alert_shows_its_labels_links_and_the_deploy_before_it(
    admin_api: Api,
    service_id: int,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    deploy(admin_api, service_id, "Deployed checkout v2.3", "2026-03-02T08:48:00Z")
    alert = alertmanager_alert("8f0c0f6d2b1a4e31", "HighErrorRate", instance="api-1:9100")
    alert["labels"]["namespace"] = "<!channel> prod"
    alert["annotations"]["runbook_url"] = "https://wiki.example.com/runbooks/5xx"
    alert["annotations"]["dashboard"] = "javascript:alert(1)"
    path = receiver(add_integration(admin_api, service_id, "alertmanager", name="Prometheus"))
    post(admin_api, path, alertmanager_notification(alert))
    deliver()
    [message] = slack.messages_in("#ops")
    assert texts(message)[5:8] == [
        "The API answers 7% of requests with 5xx.",
        "*severity*: critical · *namespace*: &lt;!channel&gt; prod · *instance*: api-1:9100",
        "🚀 <https://github.com/acme/checkout/actions/runs/4242|Deployed checkout v2.3>"
        " · 12 min before",
    ]
    # The javascript: "dashboard" is no button.
    assert controls(message) == [
        "Runbook",
        "View in Prometheus",
        "Acknowledge",
        "Resolve",
        "Snooze",
        "View in Watchkeep",
    ]
    links = next(
        b for b in blocks_of(message) if b.get("block_id", "").startswith("incident_links")
    )
    assert [button["url"] for button in links["elements"]] == [
        "https://wiki.example.com/runbooks/5xx",
        "http://prometheus.monitoring:9090/graph?g0.expr=job%3Aerrors%3Arate5m",
    ]


def test_a_grafana_alert_has_its_buttons_and_its_graph_as_an_image(
    admin_api: Api,
    service_id: int,
    connected: Workspace,
    slack: SlackState,
    deliver: Delivery,
    agent,
) -> None:
    admin_api.put(
        f"/api/v1/services/{service_id}/alert-settings",
        {"severity_urgency": {}, "shown_labels": ["team", "zone"]},
    )
    path = receiver(add_integration(admin_api, service_id, "grafana", name="Grafana"))
    notification = sample("grafana_grouped.json")
    notification["alerts"] = notification["alerts"][:1]
    post(admin_api, path, notification)
    deliver()
    [message] = slack.messages_in("#ops")
    assert "*team*: blue · *zone*: us-1" in texts(message)
    assert controls(message)[:5] == ["Runbook", "View in Grafana", "Dashboard", "Panel", "Silence"]
    [image] = [b for b in blocks_of(message) if b["type"] == "image"]
    assert image["image_url"].endswith("8ZTb8kgjzhBx3QdvNcBs.png")
    assert image["alt_text"] == "Alert graph"
    # A link button opens its page; the app only acknowledges the click.
    ada = slack.add_user(connected, "ada", email="admin1@example.com", real_name="Ada A.")
    reply = agent.click(message, "Runbook", ada)
    assert reply.status == 200
    assert admin_api.get("/api/v1/incidents").json()["items"][0]["status"] == "TRIGGERED"


def test_an_incident_not_made_by_an_alert_shows_no_alert_blocks(
    admin_api: Api, service_id: int, connected: Workspace, slack: SlackState, deliver: Delivery
) -> None:
    admin_api.post("/api/v1/incidents", {"title": "Disk full", "service_id": service_id})
    deliver()
    [message] = slack.messages_in("#ops")
    assert controls(message) == ["Acknowledge", "Resolve", "Snooze", "View in Watchkeep"]
