"""Helpers for the ingest tests: integrations made through the admin API, and alerts
shaped exactly as the real tools send them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import Api

BASE_URL = "https://watchkeep.example.com"


def add_integration(api: Api, service_id: int, type: str, **fields: Any) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/services/{service_id}/integrations", {"type": type, "name": "Prom", **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


def receiver(integration: dict[str, Any]) -> str:
    """The path a monitoring tool posts to, from the `url` pasted into it."""
    assert integration["url"].startswith(BASE_URL)
    return integration["url"].removeprefix(BASE_URL)


def incidents(api: Api, **query: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/incidents", params={"limit": 200, **query})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def timeline(api: Api, incident_id: int) -> list[str]:
    return [
        entry["type"] for entry in api.get(f"/api/v1/incidents/{incident_id}").json()["timeline"]
    ]


def pdpyras_trigger(
    routing_key: str,
    summary: str,
    source: str,
    *,
    dedup_key: str | None = None,
    severity: str = "critical",
    custom_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What pdpyras' `EventsAPIV2Session.trigger` posts."""
    event: dict[str, Any] = {
        "event_action": "trigger",
        "payload": {"summary": summary, "source": source, "severity": severity},
        "routing_key": routing_key,
    }
    if custom_details:
        event["payload"]["custom_details"] = custom_details
    if dedup_key:
        event["dedup_key"] = dedup_key
    return event


def pdpyras_event(routing_key: str, action: str, dedup_key: str) -> dict[str, Any]:
    """What pdpyras' `acknowledge` and `resolve` post."""
    return {"event_action": action, "dedup_key": dedup_key, "routing_key": routing_key}


def alertmanager_pagerduty(routing_key: str, action: str, group_hash: str) -> dict[str, Any]:
    """What Alertmanager's own `pagerduty_configs` receiver posts (Events API v2)."""
    return {
        "routing_key": routing_key,
        "dedup_key": group_hash,
        "event_action": action,
        "payload": {
            "summary": "[FIRING:1] KubePodCrashLooping (payments-7d9f api production)",
            "source": "http://alertmanager.monitoring:9093",
            "severity": "critical",
            "custom_details": {
                "firing": "Labels:\n - alertname = KubePodCrashLooping\n",
                "num_firing": "1",
                "num_resolved": "0",
                "resolved": "",
            },
            "class": "",
            "component": "",
            "group": "",
        },
        "client": "Alertmanager",
        "client_url": "http://alertmanager.monitoring:9093/#/alerts?receiver=watchkeep",
    }


def alertmanager_alert(
    fingerprint: str,
    alertname: str = "HighErrorRate",
    *,
    status: str = "firing",
    severity: str | None = "critical",
    instance: str = "api-1:9100",
    summary: str | None = "5xx above 5% for 10 minutes",
) -> dict[str, Any]:
    labels = {"alertname": alertname, "instance": instance, "job": "api"}
    if severity is not None:
        labels["severity"] = severity
    annotations = {"description": "The API answers 7% of requests with 5xx."}
    if summary is not None:
        annotations["summary"] = summary
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": "2026-03-02T08:50:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-02T09:10:00.000Z",
        "generatorURL": "http://prometheus.monitoring:9090/graph?g0.expr=job%3Aerrors%3Arate5m",
        "fingerprint": fingerprint,
    }


def alertmanager_notification(*alerts: dict[str, Any]) -> dict[str, Any]:
    """A webhook notification (version 4) as Alertmanager posts it for one alert group."""
    firing = any(alert["status"] == "firing" for alert in alerts)
    return {
        "receiver": "watchkeep",
        "status": "firing" if firing else "resolved",
        "alerts": list(alerts),
        "groupLabels": {"job": "api"},
        "commonLabels": {"job": "api"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.monitoring:9093",
        "version": "4",
        "groupKey": '{}/{severity=~"critical|warning"}:{job="api"}',
        "truncatedAlerts": 0,
    }


SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> Any:
    """A payload captured from the tool that sends it (tests/ingest/samples/)."""
    return json.loads((SAMPLES / name).read_text())
