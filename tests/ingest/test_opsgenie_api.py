"""The Opsgenie-compatible Alert API: what a client of Opsgenie's posts, by URL alone."""

from __future__ import annotations

import uuid

from ingest_support import add_integration, incidents, sample, timeline
from support import Api


def opsgenie(api: Api, key: str, path: str, body: object, status: int = 202, **params) -> dict:
    response = api.client.post(
        path, json=body, headers={"Authorization": f"GenieKey {key}"}, params=params
    )
    assert response.status_code == status, response.text
    answer = response.json()
    assert isinstance(answer["took"], float)
    uuid.UUID(answer["requestId"])
    return answer


def test_the_url_is_the_api_base_and_the_key_a_geniekey(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "opsgenie", name="Opsgenie")
    assert integration["url"] == "https://watchkeep.example.com/v2/alerts"


def test_create_repeat_acknowledge_and_close_by_alias(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "opsgenie", name="Zabbix")["key"]
    created = sample("opsgenie_create.json")
    answer = opsgenie(admin_api, key, "/v2/alerts", created)
    assert answer["result"] == "Request will be processed"
    [incident] = incidents(admin_api)
    assert incident["title"] == "Checkout: payment provider timeouts above 2%"
    assert incident["urgency"] == "HIGH"  # P1
    assert incident["dedup_key"] == "checkout-payment-timeouts"
    assert incident["description"].startswith("p99 of calls")
    assert incident["created_by"]["name"] == "Zabbix (opsgenie)"
    assert incident["details"]["labels"]["region"] == "eu-west-1"
    assert incident["details"]["tags"] == ["OverwriteQuietHours", "checkout"]
    assert incident["details"]["entity"] == "checkout-api"

    opsgenie(admin_api, key, "/v2/alerts", created)
    assert incidents(admin_api)[0]["alert_count"] == 2
    alias = "checkout-payment-timeouts"
    opsgenie(
        admin_api,
        key,
        f"/v2/alerts/{alias}/acknowledge",
        {"user": "Monitoring Script", "source": "AWS Lambda", "note": "On it"},
        identifierType="alias",
    )
    assert incidents(admin_api)[0]["status"] == "ACKNOWLEDGED"
    opsgenie(admin_api, key, f"/v2/alerts/{alias}/close", {}, identifierType="alias")
    [incident] = incidents(admin_api)
    assert incident["status"] == "RESOLVED"
    assert timeline(admin_api, incident["id"]) == ["triggered", "acknowledged", "resolved"]
    # Closing an alert that is no longer open is accepted and changes nothing, as Opsgenie.
    opsgenie(admin_api, key, f"/v2/alerts/{alias}/close", {}, identifierType="alias")


def test_priorities_set_urgency_and_an_alert_without_alias_gets_one(
    admin_api: Api, service_id: int
) -> None:
    key = add_integration(admin_api, service_id, "opsgenie")["key"]
    for priority in ("P2", "P3", "P4", "P5"):
        opsgenie(admin_api, key, "/v2/alerts", {"message": priority, "priority": priority})
    opsgenie(admin_api, key, "/v2/alerts", {"message": "default"})
    urgencies = {i["title"]: i["urgency"] for i in incidents(admin_api)}
    assert urgencies == {
        "P2": "MEDIUM",
        "P3": "MEDIUM",
        "P4": "LOW",
        "P5": "LOW",
        "default": "MEDIUM",
    }
    # No alias: each is its own alert; the id form (the default) closes by its alias.
    default = next(i for i in incidents(admin_api) if i["title"] == "default")
    opsgenie(admin_api, key, f"/v2/alerts/{default['dedup_key']}/close", {"note": "done"})
    assert next(i for i in incidents(admin_api) if i["title"] == "default")["status"] == "RESOLVED"


def test_bad_requests_are_opsgenies_422_and_a_bad_key_401(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "opsgenie")["key"]
    answer = opsgenie(admin_api, key, "/v2/alerts", {"message": ""}, status=422)
    assert list(answer["errors"]) == ["message"]
    answer = opsgenie(admin_api, key, "/v2/alerts", {"message": "x" * 131}, status=422)
    assert list(answer["errors"]) == ["message"]
    answer = opsgenie(admin_api, key, "/v2/alerts", {"message": "x", "priority": "P9"}, status=422)
    assert list(answer["errors"]) == ["priority"]
    answer = opsgenie(admin_api, key, "/v2/alerts/abc/close", {}, status=422, identifierType="tiny")
    assert list(answer["errors"]) == ["identifierType"]
    opsgenie(admin_api, "0" * 32, "/v2/alerts", {"message": "x"}, status=401)
    events_key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    opsgenie(admin_api, events_key, "/v2/alerts", {"message": "x"}, status=401)
    bare = admin_api.client.post("/v2/alerts", json={"message": "x"})
    assert bare.status_code == 401
    assert incidents(admin_api) == []
