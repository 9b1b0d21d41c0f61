"""Helpers for runbook stories: save a runbook through the API, trigger an incident."""

from __future__ import annotations

from pathlib import Path

import yaml

from support import Api

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runbooks"

WAR_ROOM = """
name: Major incident room
trigger: {events: [incident.triggered], conditions: {urgency: [HIGH]}}
steps:
  - Action Type: Slack
    Operation: Create Channel
    Name: "incident-[incident.id]"
    Description: "Channel for incident [incident.id]"
    AddUsers: ["@oncall", "@sre-team"]
  - Action Type: Slack
    Operation: Send Message
    Channel: "#[incident.channel]"
    Message: "🚨 [incident.severity] incident detected in [incident.service]"
    Blocks:
      - Type: section
        Text: "*Impact*: [incident.description]"
  - Action Type: Slack
    Operation: Create Thread
    Channel: "#[incident.channel]"
    Message: "Updates for incident [incident.id]"
    ThreadUpdates: true
"""


def save_yaml(api: Api, text: str) -> dict:
    response = api.client.post(
        "/api/v1/runbooks",
        content=text.encode(),
        headers={**api.headers, "Content-Type": "application/yaml"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def save(api: Api, document: dict) -> dict:
    response = api.post("/api/v1/runbooks", document)
    assert response.status_code == 201, response.text
    return response.json()


def steps(*steps: dict, events: tuple[str, ...] = ("incident.triggered",), **trigger) -> dict:
    return {
        "name": "story",
        "trigger": {"events": list(events), **trigger},
        "steps": list(steps),
    }


def trigger(api: Api, service_id: int, **fields: object) -> dict:
    body = {"title": "Checkout 502s", "service_id": service_id, "urgency": "HIGH", **fields}
    response = api.post("/api/v1/incidents", body)
    assert response.status_code == 201, response.text
    return response.json()


def runs(api: Api, incident_id: int) -> list[dict]:
    response = api.get(f"/api/v1/incidents/{incident_id}/runbook-runs")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text())
