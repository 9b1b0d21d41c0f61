"""Prometheus Alertmanager's webhook receiver (payload version 4), as it really posts."""

from __future__ import annotations

from ingest_support import (
    add_integration,
    alertmanager_alert,
    alertmanager_notification,
    incidents,
    receiver,
    timeline,
)
from support import Api


def notify(api: Api, path: str, notification: object, status: int = 202) -> dict:
    response = api.client.post(path, json=notification)
    assert response.status_code == status, response.text
    return response.json()


def test_the_url_is_what_to_paste_into_webhook_configs(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "alertmanager")
    assert integration["url"] == (
        f"https://watchkeep.example.com/ingest/alertmanager/{integration['key']}"
    )


def test_each_firing_alert_is_an_incident_keyed_by_its_fingerprint(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "alertmanager", name="Prometheus"))
    notification = alertmanager_notification(
        alertmanager_alert("8f0c0f6d2b1a4e31", "HighErrorRate", severity="critical"),
        alertmanager_alert("1d2e3f4a5b6c7d8e", "NodeDiskFilling", severity="warning", summary=None),
    )
    answer = notify(admin_api, path, notification)
    assert [(r["dedup_key"], r["outcome"]) for r in answer["results"]] == [
        ("8f0c0f6d2b1a4e31", "triggered"),
        ("1d2e3f4a5b6c7d8e", "triggered"),
    ]
    disk, errors = incidents(admin_api)
    assert (errors["title"], errors["urgency"]) == ("5xx above 5% for 10 minutes", "HIGH")
    assert errors["description"] == "The API answers 7% of requests with 5xx."
    assert errors["created_by"]["name"] == "Prometheus (alertmanager)"
    assert errors["details"]["labels"]["alertname"] == "HighErrorRate"
    assert errors["details"]["annotations"]["summary"] == "5xx above 5% for 10 minutes"
    assert errors["details"]["generator_url"].startswith("http://prometheus.monitoring:9090/")
    # No summary annotation: the alert's name and instance make the title.
    assert (disk["title"], disk["urgency"]) == ("NodeDiskFilling on api-1:9100", "MEDIUM")


def test_a_re_sent_notification_counts_and_send_resolved_resolves(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "alertmanager"))
    errors = alertmanager_alert("8f0c0f6d2b1a4e31", "HighErrorRate")
    latency = alertmanager_alert("77aa77aa77aa77aa", "HighLatency")
    notify(admin_api, path, alertmanager_notification(errors, latency))
    # repeat_interval: the same group again, then errors recover (send_resolved: true).
    notify(admin_api, path, alertmanager_notification(errors, latency))
    resolved = {**errors, "status": "resolved"}
    answer = notify(admin_api, path, alertmanager_notification(resolved, latency))
    assert [r["outcome"] for r in answer["results"]] == ["resolved", "repeated"]

    by_name = {i["details"]["labels"]["alertname"]: i for i in incidents(admin_api)}
    assert by_name["HighErrorRate"]["status"] == "RESOLVED"
    assert by_name["HighErrorRate"]["alert_count"] == 2
    assert by_name["HighLatency"]["status"] == "TRIGGERED"
    assert by_name["HighLatency"]["alert_count"] == 3
    assert timeline(admin_api, by_name["HighErrorRate"]["id"]) == ["triggered", "resolved"]

    # A resolved alert that is resolved again, or was never seen, changes nothing.
    unknown = alertmanager_alert("ffffffffffffffff", status="resolved")
    answer = notify(admin_api, path, alertmanager_notification(resolved, unknown))
    assert [r["outcome"] for r in answer["results"]] == ["ignored", "ignored"]
    assert len(incidents(admin_api)) == 2


def test_severity_labels_map_to_urgency_and_unknown_ones_page(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "alertmanager"))
    alerts = [
        alertmanager_alert(f"{n:016x}", name, severity=severity)
        for n, (name, severity) in enumerate(
            [("Info", "info"), ("Warn", "Warning"), ("Page", "page"), ("Unlabelled", None)]
        )
    ]
    notify(admin_api, path, alertmanager_notification(*alerts))
    urgencies = {i["details"]["labels"]["alertname"]: i["urgency"] for i in incidents(admin_api)}
    assert urgencies == {"Info": "LOW", "Warn": "MEDIUM", "Page": "HIGH", "Unlabelled": "HIGH"}


def test_a_bad_notification_is_400_naming_the_field_and_writes_nothing(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "alertmanager"))
    good = alertmanager_alert("8f0c0f6d2b1a4e31")
    no_fingerprint = {k: v for k, v in alertmanager_alert("x").items() if k != "fingerprint"}
    answers = {
        "version": {**alertmanager_notification(good), "version": "3"},
        "alerts.1.fingerprint": alertmanager_notification(good, no_fingerprint),
        "alerts.0.status": alertmanager_notification({**good, "status": "pending"}),
        "alerts.0.labels.severity": alertmanager_notification(
            {**good, "labels": {**good["labels"], "severity": 3}}
        ),
    }
    for field, notification in answers.items():
        answer = notify(admin_api, path, notification, status=400)
        assert [error.split(":")[0] for error in answer["errors"]] == [field]
    assert incidents(admin_api) == [], "a notification is applied whole or not at all"


def test_fields_alertmanager_may_add_later_are_ignored(admin_api: Api, service_id: int) -> None:
    path = receiver(add_integration(admin_api, service_id, "alertmanager"))
    alert = {**alertmanager_alert("8f0c0f6d2b1a4e31"), "silencedBy": [], "inhibitedBy": []}
    notify(admin_api, path, {**alertmanager_notification(alert), "orgId": 1})
    assert len(incidents(admin_api)) == 1


def test_an_unknown_or_revoked_key_is_404(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "alertmanager")
    events_key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    notification = alertmanager_notification(alertmanager_alert("8f0c0f6d2b1a4e31"))
    notify(admin_api, f"/ingest/alertmanager/{events_key}", notification, status=404)
    notify(admin_api, "/ingest/alertmanager/short", notification, status=404)
    revoked = admin_api.delete(f"/api/v1/services/{service_id}/integrations/{integration['id']}")
    assert revoked.status_code == 204
    answer = notify(admin_api, receiver(integration), notification, status=404)
    assert answer["errors"] == ["key: no integration has this key (revoked or rotated?)"]
    assert incidents(admin_api) == []
