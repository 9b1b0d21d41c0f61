"""Grafana's webhook contact point: a grouped notification, every alert its own incident."""

from __future__ import annotations

import copy

from ingest_support import add_integration, incidents, receiver, sample
from support import Api


def post(api: Api, path: str, body: object, status: int = 202) -> dict:
    response = api.client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_the_url_is_what_to_paste_into_the_contact_point(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "grafana", name="Grafana")
    assert integration["url"] == (
        f"https://watchkeep.example.com/ingest/grafana/{integration['key']}"
    )


def test_every_alert_of_the_group_is_an_incident_by_fingerprint(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "grafana", name="Grafana"))
    notification = sample("grafana_grouped.json")
    answer = post(admin_api, path, notification)
    assert [(r["dedup_key"], r["outcome"]) for r in answer["results"]] == [
        ("c6eadffa33fcdf37", "triggered"),
        ("b1cc46c7f2ad9f8e", "triggered"),
        ("0c9f5e1d8a7b6c5d", "ignored"),  # resolved, and never seen firing
    ]
    cpu, memory = incidents(admin_api)
    assert (memory["title"], memory["urgency"]) == (
        "This alert fires when memory usage is above 80%",
        "MEDIUM",
    )
    assert (cpu["title"], cpu["urgency"]) == (
        "This alert fires when CPU usage is above 90%",
        "HIGH",
    )
    assert memory["created_by"]["name"] == "Grafana (grafana)"
    details = memory["details"]
    assert details["dashboard_url"] == "https://grafana.example.com/d/TkMOvHK4z?orgId=1"
    assert details["panel_url"].endswith("viewPanel=4")
    assert details["silence_url"].startswith("https://grafana.example.com/alerting/silence/new")
    assert details["generator_url"].startswith("https://grafana.example.com/alerting/grafana/")
    assert details["values"] == {"B": 84.23943737541908, "C": 1}
    assert details["value_string"].startswith("[ var='B'")
    assert details["image_url"].endswith("8ZTb8kgjzhBx3QdvNcBs.png")
    assert details["annotations"]["runbook_url"] == "https://wiki.example.com/runbooks/memory"
    # Grafana sent empty dashboard and panel URLs for the CPU alert: none are kept.
    assert "dashboard_url" not in cpu["details"]
    assert "image_url" not in cpu["details"]


def test_a_repeat_counts_and_a_resolved_alert_resolves_only_its_incident(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "grafana"))
    notification = sample("grafana_grouped.json")
    post(admin_api, path, notification)
    assert [r["outcome"] for r in post(admin_api, path, notification)["results"]] == [
        "repeated",
        "repeated",
        "ignored",
    ]
    later = copy.deepcopy(notification)
    later["alerts"][0]["status"] = "resolved"
    later["status"] = "firing"
    answer = post(admin_api, path, later)
    assert [r["outcome"] for r in answer["results"]] == ["resolved", "repeated", "ignored"]
    by_key = {i["dedup_key"]: i for i in incidents(admin_api)}
    assert by_key["c6eadffa33fcdf37"]["status"] == "RESOLVED"
    assert by_key["c6eadffa33fcdf37"]["alert_count"] == 2
    assert by_key["b1cc46c7f2ad9f8e"]["status"] == "TRIGGERED"
    assert by_key["b1cc46c7f2ad9f8e"]["alert_count"] == 3


def test_the_alertmanager_receiver_takes_grafanas_payload_too(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "alertmanager"))
    answer = post(admin_api, path, sample("grafana_grouped.json"))
    assert [r["outcome"] for r in answer["results"]] == ["triggered", "triggered", "ignored"]
    assert len(incidents(admin_api)) == 2


def test_a_grafana_key_is_refused_on_another_receiver(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "grafana")["key"]
    post(admin_api, f"/ingest/alertmanager/{key}", sample("grafana_grouped.json"), status=404)
    assert incidents(admin_api) == []
