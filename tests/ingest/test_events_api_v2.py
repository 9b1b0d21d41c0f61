"""PagerDuty Events API v2 clients, pointed at Watchkeep by changing the host only."""

from __future__ import annotations

from sqlalchemy import func, select

from watchkeep.core.models import TimelineEvent
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime

from ingest_support import (
    add_integration,
    alertmanager_pagerduty,
    incidents,
    pdpyras_event,
    pdpyras_trigger,
    timeline,
)
from support import Api


def enqueue(api: Api, event: dict, status: int = 202) -> dict:
    response = api.client.post("/v2/enqueue", json=event)
    assert response.status_code == status, response.text
    return response.json()


def rows(runtime: Runtime) -> tuple[int, int]:
    """Timeline entries and outbox rows: what a repeat must not add to."""
    with runtime.db.read() as session:
        entries = session.scalar(select(func.count()).select_from(TimelineEvent))
        outbox = session.scalar(select(func.count()).select_from(OutboxRow))
        return entries or 0, outbox or 0


def test_a_trigger_opens_an_incident_and_repeats_only_count(
    admin_api: Api, service_id: int, runtime: Runtime
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2", name="Datadog")["key"]
    event = pdpyras_trigger(
        key,
        "Disk 95% full on web-1",
        "web-1.example.com",
        dedup_key="disk/web-1",
        severity="warning",
        custom_details={"free": "2.1 GB", "mount": "/var"},
    )
    answer = enqueue(admin_api, event)
    assert answer == {"status": "success", "message": "Event processed", "dedup_key": "disk/web-1"}
    [incident] = incidents(admin_api)
    assert incident["title"] == "Disk 95% full on web-1"
    assert incident["urgency"] == "MEDIUM"
    assert incident["created_by"] == {"user_id": None, "name": "Datadog (events_api_v2)"}
    assert incident["source"] == "api"
    assert incident["alert_count"] == 1
    assert incident["details"]["custom_details"] == {"free": "2.1 GB", "mount": "/var"}
    assert incident["details"]["source"] == "web-1.example.com"
    before = rows(runtime)

    for _ in range(4):
        assert enqueue(admin_api, event)["dedup_key"] == "disk/web-1"

    [incident] = incidents(admin_api)
    assert incident["alert_count"] == 5
    assert incident["last_alert_at"] is not None
    assert rows(runtime) == before, "a repeat announces nothing and adds no timeline entry"
    assert timeline(admin_api, incident["id"]) == ["triggered"]


def test_a_trigger_without_dedup_key_gets_one_to_resolve_it_by(
    admin_api: Api, service_id: int
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    first = enqueue(admin_api, pdpyras_trigger(key, "CPU high", "db-1"))["dedup_key"]
    second = enqueue(admin_api, pdpyras_trigger(key, "CPU high", "db-1"))["dedup_key"]
    assert first != second
    assert len(incidents(admin_api)) == 2
    enqueue(admin_api, pdpyras_event(key, "resolve", first))
    assert [i["status"] for i in incidents(admin_api)] == ["TRIGGERED", "RESOLVED"]


def test_acknowledge_and_resolve_act_on_the_open_incident_with_the_key(
    admin_api: Api, service_id: int
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2", name="Grafana")["key"]
    enqueue(admin_api, pdpyras_trigger(key, "Checkout 502s", "lb-1", dedup_key="502"))
    enqueue(admin_api, pdpyras_event(key, "acknowledge", "502"))
    [incident] = incidents(admin_api)
    assert incident["status"] == "ACKNOWLEDGED"
    assert incident["acknowledged_by"]["name"] == "Grafana (events_api_v2)"

    # A repeat while acknowledged counts, and leaves it acknowledged.
    enqueue(admin_api, pdpyras_trigger(key, "Checkout 502s", "lb-1", dedup_key="502"))
    enqueue(admin_api, pdpyras_event(key, "acknowledge", "502"))
    [incident] = incidents(admin_api)
    assert (incident["status"], incident["alert_count"]) == ("ACKNOWLEDGED", 2)

    enqueue(admin_api, pdpyras_event(key, "resolve", "502"))
    [incident] = incidents(admin_api)
    assert incident["status"] == "RESOLVED"
    assert incident["resolved_by"]["name"] == "Grafana (events_api_v2)"
    assert timeline(admin_api, incident["id"]) == ["triggered", "acknowledged", "resolved"]

    # The key is free again: the next trigger is a new incident.
    enqueue(admin_api, pdpyras_trigger(key, "Checkout 502s again", "lb-1", dedup_key="502"))
    assert [(i["number"], i["status"]) for i in incidents(admin_api)] == [
        (2, "TRIGGERED"),
        (1, "RESOLVED"),
    ]


def test_unknown_dedup_keys_are_accepted_and_ignored(
    admin_api: Api, service_id: int, runtime: Runtime
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    before = rows(runtime)
    for action in ("acknowledge", "resolve"):
        answer = enqueue(admin_api, pdpyras_event(key, action, "never-seen"))
        assert answer["status"] == "success"
    assert incidents(admin_api) == []
    assert rows(runtime) == before


def test_alertmanagers_own_pagerduty_receiver_works_unchanged(
    admin_api: Api, service_id: int
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2", name="Alertmanager")["key"]
    enqueue(admin_api, alertmanager_pagerduty(key, "trigger", "c0ffee"))
    [incident] = incidents(admin_api)
    assert incident["title"].startswith("[FIRING:1] KubePodCrashLooping")
    assert incident["urgency"] == "HIGH"
    assert incident["details"]["client"] == "Alertmanager"
    assert "class" not in incident["details"], "empty strings are not details"
    enqueue(admin_api, alertmanager_pagerduty(key, "resolve", "c0ffee"))
    assert incidents(admin_api)[0]["status"] == "RESOLVED"


def test_go_pagerduty_events_with_every_field(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "replication-lag/db-2",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
        "images": [{"src": "https://chart.example.com/lag.png", "alt": "lag", "href": "https://x"}],
        "links": [{"href": "https://runbooks.example.com/lag", "text": "Runbook"}],
        "payload": {
            "summary": "Replication lag 45 s on db-2",
            "timestamp": "2026-03-02T08:42:58.315+0000",
            "source": "db-2.example.com",
            "severity": "info",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "replication",
            "custom_details": {"lag_seconds": 45},
        },
    }
    enqueue(admin_api, event)
    [incident] = incidents(admin_api)
    assert incident["urgency"] == "LOW"
    details = incident["details"]
    assert details["links"] == [{"href": "https://runbooks.example.com/lag", "text": "Runbook"}]
    assert (details["component"], details["group"], details["class"]) == (
        "postgres",
        "prod-datapipe",
        "replication",
    )
    assert details["timestamp"] == "2026-03-02T08:42:58.315000+00:00"


def test_severity_maps_to_urgency_as_the_service_says(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    settings = f"/api/v1/services/{service_id}/alert-settings"
    assert admin_api.get(settings).json()["severity_urgency"] == {
        "critical": "HIGH",
        "error": "MEDIUM",
        "warning": "MEDIUM",
        "info": "LOW",
    }
    changed = admin_api.put(settings, {"severity_urgency": {"warning": "LOW", "error": "HIGH"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["severity_urgency"]["warning"] == "LOW"
    for severity in ("critical", "error", "warning", "info"):
        enqueue(admin_api, pdpyras_trigger(key, severity, "x", severity=severity))
    assert {i["title"]: i["urgency"] for i in incidents(admin_api)} == {
        "critical": "HIGH",
        "error": "HIGH",
        "warning": "LOW",
        "info": "LOW",
    }
    assert admin_api.put(settings, {"severity_urgency": {"fatal": "HIGH"}}).status_code == 422


def test_bad_events_are_400_naming_each_field_and_write_nothing(
    admin_api: Api, service_id: int, runtime: Runtime
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    before = rows(runtime)

    def bad_fields(event: object) -> list[str]:
        answer = enqueue(admin_api, event, status=400)
        assert answer["status"] == "invalid event"
        return [error.split(":")[0] for error in answer["errors"]]

    trigger = pdpyras_trigger(key, "x", "y")
    assert bad_fields({**trigger, "event_action": "escalate"}) == ["event_action"]
    assert bad_fields({**trigger, "payload": {**trigger["payload"], "severity": "fatal"}}) == [
        "payload.severity"
    ]
    assert bad_fields({**trigger, "payload": {"summary": " ", "sevrity": "info"}}) == [
        "payload.summary",
        "payload.source",
        "payload.severity",
        "payload.sevrity",
    ]
    assert bad_fields({**trigger, "payload": {**trigger["payload"], "timestamp": "noon"}}) == [
        "payload.timestamp"
    ]
    assert bad_fields({key: value for key, value in trigger.items() if key != "payload"}) == [
        "payload"
    ]
    assert bad_fields({"event_action": "resolve", "routing_key": key}) == ["dedup_key"]
    assert bad_fields({**trigger, "dedup_key": "k" * 256}) == ["dedup_key"]
    assert bad_fields({**trigger, "links": [{"text": "no href"}]}) == ["links.0.href"]
    assert bad_fields({"event_action": "trigger", "payload": trigger["payload"]}) == ["routing_key"]
    assert bad_fields([trigger]) == ["body"]
    malformed = admin_api.client.post(
        "/v2/enqueue", content=b'{"routing_key": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0].startswith("body: Invalid JSON")
    assert incidents(admin_api) == []
    assert rows(runtime) == before


def test_a_long_summary_is_cut_to_a_title_not_refused(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    enqueue(admin_api, pdpyras_trigger(key, "stack trace " * 200, "app-1"))
    title = incidents(admin_api)[0]["title"]
    assert len(title) == 1024
    assert title.endswith("…")


def test_unknown_revoked_and_misplaced_keys_are_404(admin_api: Api, service_id: int) -> None:
    alertmanager_key = add_integration(admin_api, service_id, "alertmanager")["key"]
    for routing_key in ("0" * 32, "not-a-key", alertmanager_key, alertmanager_key.upper()):
        answer = enqueue(admin_api, pdpyras_trigger(routing_key, "x", "y"), status=404)
        assert answer["errors"] == [
            "routing_key: no integration has this key (revoked or rotated?)"
        ]
    assert incidents(admin_api) == []


def test_unknown_paths_and_methods_on_the_receivers_answer_pagerduty_json(
    admin_api: Api, service_id: int
) -> None:
    key = add_integration(admin_api, service_id, "alertmanager")["key"]
    client = admin_api.client
    for method, path, status in [
        ("GET", "/v2/enqueue", 405),
        ("PUT", "/v2/change/enqueue", 405),
        ("GET", f"/ingest/alertmanager/{key}", 405),
        ("POST", "/v2/enqueue/extra", 404),
        ("POST", "/v2/alerts/nope/nothing", 404),
        ("GET", "/ingest/nagios/abc", 404),
        ("POST", "/ingest/", 404),
    ]:
        answer = client.request(method, path, json={})
        assert answer.status_code == status, (method, path, answer.text)
        assert answer.headers["content-type"] == "application/json", (method, path)
        body = answer.json()
        assert set(body) == {"status", "message", "errors"}
        if status == 405:
            assert answer.headers["allow"] == "POST"


def test_an_unknown_severity_is_refused_unless_the_integration_maps_it(
    admin_api: Api, service_id: int
) -> None:
    strict = add_integration(admin_api, service_id, "events_api_v2")["key"]
    mapping = add_integration(
        admin_api, service_id, "events_api_v2", name="Alertmanager", unknown_severity="warning"
    )
    assert mapping["config"] == {"unknown_severity": "warning"}
    # Alertmanager's pagerduty_configs with a template that yields "page".
    event = pdpyras_trigger(strict, "Disk full", "db-1", dedup_key="disk", severity="page")
    answer = enqueue(admin_api, event, status=400)
    assert answer["errors"] == [
        "payload.severity: Input should be 'critical', 'error', 'warning' or 'info'"
    ]
    assert incidents(admin_api) == []

    enqueue(admin_api, {**event, "routing_key": mapping["key"]})
    [incident] = incidents(admin_api)
    assert incident["urgency"] == "MEDIUM"
    assert (incident["details"]["severity"], incident["details"]["severity_sent"]) == (
        "warning",
        "page",
    )
    # A severity PagerDuty knows is taken as sent.
    enqueue(
        admin_api,
        {
            **event,
            "routing_key": mapping["key"],
            "dedup_key": "cpu",
            "payload": {**event["payload"], "severity": "info"},
        },
    )
    assert incidents(admin_api)[0]["urgency"] == "LOW"


def test_only_events_api_v2_integrations_map_unknown_severities(
    admin_api: Api, service_id: int
) -> None:
    response = admin_api.post(
        f"/api/v1/services/{service_id}/integrations",
        {"type": "alertmanager", "name": "x", "unknown_severity": "warning"},
    )
    assert response.status_code == 422, response.text
