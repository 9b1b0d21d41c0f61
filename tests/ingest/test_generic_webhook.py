"""The generic JSON webhook: any tool's JSON, read through configured field paths."""

from __future__ import annotations

from ingest_support import add_integration, incidents, receiver
from support import Api

# Grafana's legacy alerting webhook, as it posts.
GRAFANA_LEGACY = {
    "dashboardId": 1,
    "evalMatches": [{"value": 97.2, "metric": "cpu", "tags": {"host": "web-3"}}],
    "imageUrl": "https://grafana.example.com/render/d-solo/abc/cpu.png",
    "message": "CPU above 95% for 5 minutes",
    "orgId": 1,
    "panelId": 2,
    "ruleId": 17,
    "ruleName": "CPU saturation",
    "ruleUrl": "https://grafana.example.com/d/abc/hosts?viewPanel=2",
    "state": "alerting",
    "tags": {"severity": "P2", "team": "platform"},
    "title": "[Alerting] CPU saturation",
}
GRAFANA_CONFIG = {
    "summary_path": "title",
    "dedup_key_path": "ruleId",
    "status_path": "state",
    "severity_path": "tags.severity",
    "severity_map": {"P1": "critical", "P2": "error", "P3": "warning"},
    "status_map": {"no_data": "trigger", "pending": "acknowledge"},
}


def post(api: Api, path: str, body: object, status: int = 202) -> dict:
    response = api.client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_grafana_alerts_trigger_and_recover_through_configured_paths(
    admin_api: Api, service_id: int
) -> None:
    integration = add_integration(
        admin_api, service_id, "webhook", name="Grafana", config=GRAFANA_CONFIG
    )
    assert integration["config"]["severity_map"] == {
        "p1": "critical",
        "p2": "error",
        "p3": "warning",
    }
    path = receiver(integration)
    answer = post(admin_api, path, GRAFANA_LEGACY)
    assert answer["results"] == [{"dedup_key": "17", "outcome": "triggered", "incident_number": 1}]
    [incident] = incidents(admin_api)
    assert (incident["title"], incident["urgency"]) == ("[Alerting] CPU saturation", "MEDIUM")
    assert incident["details"] == GRAFANA_LEGACY, "the whole body is the incident's details"

    assert post(admin_api, path, GRAFANA_LEGACY)["results"][0]["outcome"] == "repeated"
    pending = post(admin_api, path, {**GRAFANA_LEGACY, "state": "Pending"})
    assert pending["results"][0]["outcome"] == "acknowledged"
    recovered = {**GRAFANA_LEGACY, "state": "ok", "title": "[OK] CPU saturation"}
    assert post(admin_api, path, recovered)["results"][0]["outcome"] == "resolved"
    [incident] = incidents(admin_api)
    assert (incident["status"], incident["alert_count"]) == ("RESOLVED", 2)


def test_only_a_summary_is_needed(admin_api: Api, service_id: int) -> None:
    path = receiver(
        add_integration(admin_api, service_id, "webhook", config={"summary_path": "check.0.name"})
    )
    body = {"check": [{"name": "https://shop.example.com is down", "code": 503}]}
    post(admin_api, path, body)
    post(admin_api, path, body)
    # No dedup key path: each event is its own incident; no status path: each triggers;
    # no severity path: the default severity (critical) decides the urgency.
    assert [(i["title"], i["urgency"]) for i in incidents(admin_api)] == [
        ("https://shop.example.com is down", "HIGH")
    ] * 2


def test_unreadable_events_are_400_naming_the_configured_path(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "webhook", config=GRAFANA_CONFIG))

    def bad_fields(body: object) -> list[str]:
        answer = post(admin_api, path, body, status=400)
        assert answer["status"] == "invalid event"
        return [error.split(":")[0] for error in answer["errors"]]

    assert bad_fields({**GRAFANA_LEGACY, "title": "  "}) == ["title"]
    assert bad_fields({**GRAFANA_LEGACY, "title": {"text": "x"}}) == ["title"]
    assert bad_fields({**GRAFANA_LEGACY, "state": "paused"}) == ["state"]
    assert bad_fields({**GRAFANA_LEGACY, "tags": {"severity": "P9"}}) == ["tags.severity"]
    resolve_without_key = {k: v for k, v in GRAFANA_LEGACY.items() if k != "ruleId"}
    assert bad_fields({**resolve_without_key, "state": "ok"}) == ["ruleId"]
    assert bad_fields({**GRAFANA_LEGACY, "ruleId": "r" * 256}) == ["ruleId"]
    assert bad_fields(["not", "an", "object"]) == ["body"]
    malformed = admin_api.client.post(
        path, content=b"{", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert incidents(admin_api) == []


def test_a_webhook_needs_a_valid_config_and_others_take_none(
    admin_api: Api, service_id: int
) -> None:
    def refused(body: dict) -> set[str]:
        response = admin_api.post(f"/api/v1/services/{service_id}/integrations", body)
        assert response.status_code == 422, response.text
        return {".".join(str(part) for part in e["loc"][1:]) for e in response.json()["detail"]}

    webhook = {"type": "webhook", "name": "Custom"}
    assert refused(webhook) == {"config"}
    assert refused({**webhook, "config": {"summary_path": "a..b"}}) == {"config.summary_path"}
    assert refused({**webhook, "config": {"summary_path": "x", "sumary": "y"}}) == {"config.sumary"}
    assert refused(
        {**webhook, "config": {"summary_path": "x", "severity_map": {"P1": "sev1"}}}
    ) == {"config.severity_map.P1"}
    assert refused({"type": "alertmanager", "name": "x", "config": {"summary_path": "x"}}) == {
        "config"
    }
    listing = admin_api.get(f"/api/v1/services/{service_id}/integrations").json()
    assert listing["total"] == 0


# A tool's grouped notification: the alerts in a list, each with its own id and state.
GROUPED = {
    "source": "uptime-checker",
    "checks": [
        {"id": "chk-1", "name": "shop.example.com is down", "state": "down", "level": "P1"},
        {"id": "chk-2", "name": "api.example.com is slow", "state": "degraded", "level": "P3"},
        {"id": "chk-3", "name": "cdn.example.com is down", "state": "up", "level": "P1"},
    ],
}
GROUPED_CONFIG = {
    "alerts_path": "checks",
    "summary_path": "name",
    "dedup_key_path": "id",
    "status_path": "state",
    "severity_path": "level",
    "status_map": {"down": "trigger", "degraded": "trigger", "up": "resolve"},
    "severity_map": {"P1": "critical", "P3": "warning"},
}


def test_alerts_path_makes_one_incident_per_item(admin_api: Api, service_id: int) -> None:
    path = receiver(add_integration(admin_api, service_id, "webhook", config=GROUPED_CONFIG))
    answer = post(admin_api, path, GROUPED)
    assert [(r["dedup_key"], r["outcome"]) for r in answer["results"]] == [
        ("chk-1", "triggered"),
        ("chk-2", "triggered"),
        ("chk-3", "ignored"),
    ]
    slow, down = incidents(admin_api)
    assert (down["title"], down["urgency"]) == ("shop.example.com is down", "HIGH")
    assert (slow["title"], slow["urgency"]) == ("api.example.com is slow", "MEDIUM")
    assert down["details"] == GROUPED["checks"][0], "each item is its incident's details"

    recovered = {"checks": [{**GROUPED["checks"][0], "state": "up"}, GROUPED["checks"][1]]}
    answer = post(admin_api, path, recovered)
    assert [r["outcome"] for r in answer["results"]] == ["resolved", "repeated"]
    assert [(i["status"], i["alert_count"]) for i in incidents(admin_api)] == [
        ("TRIGGERED", 2),
        ("RESOLVED", 1),
    ]


def test_a_bad_item_is_400_naming_it_and_writes_nothing(admin_api: Api, service_id: int) -> None:
    path = receiver(add_integration(admin_api, service_id, "webhook", config=GROUPED_CONFIG))
    bad = {"checks": [GROUPED["checks"][0], {**GROUPED["checks"][1], "state": "paused"}, "x"]}
    answer = post(admin_api, path, bad, status=400)
    assert [e.split(":")[0] for e in answer["errors"]] == ["checks.1.state", "checks.2"]
    answer = post(admin_api, path, {"checks": {"id": 1}}, status=400)
    assert answer["errors"] == ["checks: must be a list of alerts"]
    assert incidents(admin_api) == []


def test_default_status_and_severity_take_words_not_in_the_maps(
    admin_api: Api, service_id: int
) -> None:
    # Datadog's webhook: $ALERT_TRANSITION says "No Data"; its priority may be "normal".
    config = {
        "summary_path": "title",
        "dedup_key_path": "alert_id",
        "status_path": "transition",
        "severity_path": "priority",
        "default_status": "trigger",
        "default_severity": "warning",
        "status_map": {"recovered": "resolve"},
    }
    path = receiver(add_integration(admin_api, service_id, "webhook", config=config))
    body = {"title": "[No Data] Disk on db-1", "alert_id": "991", "transition": "No Data"}
    post(admin_api, path, {**body, "priority": "normal"})
    post(admin_api, path, body)
    [incident] = incidents(admin_api)
    assert (incident["urgency"], incident["alert_count"]) == ("MEDIUM", 2)
    post(admin_api, path, {**body, "transition": "Recovered"})
    assert incidents(admin_api)[0]["status"] == "RESOLVED"


def test_without_defaults_unknown_words_are_still_refused(admin_api: Api, service_id: int) -> None:
    config = {"summary_path": "title", "status_path": "transition", "severity_path": "priority"}
    path = receiver(add_integration(admin_api, service_id, "webhook", config=config))
    answer = post(admin_api, path, {"title": "x", "transition": "No Data"}, status=400)
    assert [e.split(":")[0] for e in answer["errors"]] == ["transition"]
    answer = post(admin_api, path, {"title": "x", "priority": "normal"}, status=400)
    assert [e.split(":")[0] for e in answer["errors"]] == ["priority"]
