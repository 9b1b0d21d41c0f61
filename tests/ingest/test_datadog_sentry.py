"""Datadog's webhook and Sentry's webhooks, replayed as they post."""

from __future__ import annotations

import copy

from ingest_support import add_integration, incidents, receiver, sample
from support import Api


def post(api: Api, path: str, body: object, status: int = 202) -> dict:
    response = api.client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_a_datadog_monitor_triggers_repeats_and_recovers(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "datadog", name="Datadog")
    assert integration["url"].endswith(f"/ingest/datadog/{integration['key']}")
    path = receiver(integration)
    triggered = sample("datadog_triggered.json")
    assert post(admin_api, path, triggered)["results"][0]["outcome"] == "triggered"
    [incident] = incidents(admin_api)
    assert incident["title"] == "[Triggered on {host:web-3}] Checkout p99 latency above 2s"
    assert incident["urgency"] == "MEDIUM"  # P2
    assert incident["dedup_key"] == "8b1c5e2f0d6a4e3b"
    assert incident["details"]["labels"] == {
        "env": "prod",
        "service": "checkout",
        "team": "payments",
        "monitor": "",
    }
    assert incident["details"]["image_url"].endswith("abc123.png")

    renotify = {**triggered, "transition": "Renotify"}
    no_data = {**triggered, "transition": "No Data", "priority": ""}
    assert post(admin_api, path, renotify)["results"][0]["outcome"] == "repeated"
    assert post(admin_api, path, no_data)["results"][0]["outcome"] == "repeated"
    recovered = {**triggered, "transition": "Recovered", "title": "[Recovered] …"}
    assert post(admin_api, path, recovered)["results"][0]["outcome"] == "resolved"
    [incident] = incidents(admin_api)
    assert (incident["status"], incident["alert_count"]) == ("RESOLVED", 3)


def test_datadog_without_an_aggregate_keys_by_alert_and_scope(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "datadog"))
    body = {**sample("datadog_triggered.json"), "aggregate": "", "priority": "normal"}
    post(admin_api, path, body)
    post(admin_api, path, {**body, "scope": "host:web-4"})
    assert sorted((i["dedup_key"], i["urgency"]) for i in incidents(admin_api)) == [
        ("1234567:host:web-3", "MEDIUM"),  # alert_type error
        ("1234567:host:web-4", "MEDIUM"),
    ]
    answer = post(admin_api, path, {"title": "x"}, status=400)
    assert [e.split(":")[0] for e in answer["errors"]] == ["aggregate"]


def test_a_sentry_issue_alert_counts_each_event_and_resolving_the_issue_resolves(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "sentry", name="Sentry"))
    alert = sample("sentry_event_alert.json")
    assert post(admin_api, path, alert)["results"][0]["outcome"] == "triggered"
    second = copy.deepcopy(alert)
    second["data"]["event"]["event_id"] = "0f9a8c7b6d5e4f3a2b1c0d9e8f7a6b5c"
    assert post(admin_api, path, second)["results"][0]["outcome"] == "repeated"
    [incident] = incidents(admin_api)
    assert incident["title"] == "ZeroDivisionError: division by zero"
    assert incident["dedup_key"] == "1170820242"
    assert incident["urgency"] == "MEDIUM"  # level error
    assert incident["description"] == "checkout.pricing in apply_discount"
    assert incident["details"]["labels"]["release"] == "checkout@2.3.0"
    assert incident["details"]["links"][0]["text"] == "View in Sentry"

    assigned = {**sample("sentry_issue_resolved.json"), "action": "assigned"}
    assert post(admin_api, path, assigned)["results"] == []
    resolved = post(admin_api, path, sample("sentry_issue_resolved.json"))
    assert resolved["results"][0]["outcome"] == "resolved"
    assert incidents(admin_api)[0]["status"] == "RESOLVED"


def test_sentry_metric_alerts_and_the_legacy_plugin(admin_api: Api, service_id: int) -> None:
    path = receiver(add_integration(admin_api, service_id, "sentry"))
    metric = {
        "action": "critical",
        "data": {
            "metric_alert": {"id": "5521", "title": "Checkout error rate", "status": 20},
            "description_title": "Critical: Checkout error rate above 5%",
            "description_text": "1,204 errors in the last 5 minutes",
            "web_url": "https://sentry.io/organizations/acme/alerts/rules/details/5521/",
        },
    }
    post(admin_api, path, metric)
    legacy = {
        "id": "27379932",
        "project": "checkout",
        "project_name": "Checkout",
        "level": "fatal",
        "culprit": "raven.scripts.runner in main",
        "message": "This is an example Python exception",
        "url": "https://sentry.io/organizations/acme/issues/27379932/?referrer=webhooks_plugin",
        "triggering_rules": ["Send a notification for new issues"],
        "event": {"tags": [["environment", "production"]]},
    }
    post(admin_api, path, legacy)
    by_key = {i["dedup_key"]: i for i in incidents(admin_api)}
    assert by_key["5521"]["urgency"] == "HIGH"
    assert by_key["27379932"]["urgency"] == "HIGH"  # fatal
    post(admin_api, path, {**metric, "action": "resolved"})
    assert {i["dedup_key"]: i["status"] for i in incidents(admin_api)}["5521"] == "RESOLVED"
    answer = post(admin_api, path, {"action": "triggered", "data": {}}, status=400)
    assert [e.split(":")[0] for e in answer["errors"]] == ["data"]
