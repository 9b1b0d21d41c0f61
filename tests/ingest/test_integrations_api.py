"""Integrations over the admin API: made, listed, rotated and revoked by admins only."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from watchkeep.core.models import Role
from watchkeep.ingest.models import Integration
from watchkeep.runtime import Runtime

from ingest_support import add_integration, incidents, pdpyras_trigger, receiver
from support import Api


def test_each_type_answers_its_key_and_the_url_to_paste(admin_api: Api, service_id: int) -> None:
    made = {
        kind: add_integration(admin_api, service_id, kind, **extra)
        for kind, extra in [
            ("events_api_v2", {}),
            ("alertmanager", {"rate_limit_per_minute": 600}),
            ("webhook", {"config": {"summary_path": "title"}}),
        ]
    }
    for kind, integration in made.items():
        assert integration["type"] == kind
        assert integration["service_id"] == service_id
        assert len(integration["key"]) == 32
        assert integration["key_prefix"] == integration["key"][:12]
    assert made["events_api_v2"]["url"] == "https://watchkeep.example.com/v2/enqueue"
    assert made["alertmanager"]["url"].endswith(
        f"/ingest/alertmanager/{made['alertmanager']['key']}"
    )
    assert made["webhook"]["url"].endswith(f"/ingest/webhook/{made['webhook']['key']}")
    assert made["alertmanager"]["rate_limit_per_minute"] == 600

    listing = admin_api.get(f"/api/v1/services/{service_id}/integrations").json()
    assert listing["total"] == 3
    assert [item["type"] for item in listing["items"]] == list(made)
    assert all("key" not in item and "url" not in item for item in listing["items"]), (
        "a key is shown only when made or rotated"
    )


def test_keys_are_stored_only_as_digests(admin_api: Api, service_id: int, runtime: Runtime) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    with runtime.db.read() as session:
        stored = session.scalars(select(Integration)).one()
        columns = [str(getattr(stored, column.key)) for column in Integration.__table__.columns]
    assert not any(key in value for value in columns)
    assert stored.key_hash != key


def test_rotating_answers_a_new_key_and_the_old_one_stops(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "events_api_v2")
    old_key = integration["key"]
    rotated = admin_api.post(
        f"/api/v1/services/{service_id}/integrations/{integration['id']}/rotate"
    )
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["key"]
    assert new_key != old_key
    assert rotated.json()["rotated_at"] is not None

    old = admin_api.client.post("/v2/enqueue", json=pdpyras_trigger(old_key, "x", "y"))
    assert old.status_code == 404
    new = admin_api.client.post("/v2/enqueue", json=pdpyras_trigger(new_key, "x", "y"))
    assert new.status_code == 202
    assert len(incidents(admin_api)) == 1


def test_revoking_stops_the_key_and_keeps_the_incidents(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "webhook", config={"summary_path": "t"})
    assert admin_api.client.post(receiver(integration), json={"t": "down"}).status_code == 202
    path = f"/api/v1/services/{service_id}/integrations/{integration['id']}"
    assert admin_api.delete(path).status_code == 204
    assert admin_api.client.post(receiver(integration), json={"t": "down"}).status_code == 404
    assert admin_api.delete(path).status_code == 404
    assert len(incidents(admin_api)) == 1


def test_integrations_are_for_admins_only(
    admin_api: Api, service_id: int, make_token: Callable[..., str]
) -> None:
    integration = add_integration(admin_api, service_id, "events_api_v2")
    base = f"/api/v1/services/{service_id}/integrations"
    for role in (Role.RESPONDER, Role.VIEWER):
        other = admin_api.as_(make_token(role))
        assert other.get(base).status_code == 403
        assert other.post(base, {"type": "alertmanager", "name": "x"}).status_code == 403
        assert other.post(f"{base}/{integration['id']}/rotate").status_code == 403
        assert other.delete(f"{base}/{integration['id']}").status_code == 403
        settings = f"/api/v1/services/{service_id}/alert-settings"
        assert other.get(settings).status_code == 200
        assert other.put(settings, {"severity_urgency": {}}).status_code == 403
    assert admin_api.client.get(base).status_code == 401
    assert admin_api.get(base).json()["total"] == 1


def test_unknown_services_and_other_services_integrations_are_404(
    admin_api: Api, service_id: int
) -> None:
    integration = add_integration(admin_api, service_id, "events_api_v2")
    other = admin_api.post("/api/v1/services", {"name": "search"}).json()["id"]
    body = {"type": "events_api_v2", "name": "x"}
    assert admin_api.post("/api/v1/services/999/integrations", body).status_code == 404
    assert admin_api.get("/api/v1/services/999/integrations").status_code == 404
    assert admin_api.get("/api/v1/services/999/alert-settings").status_code == 404
    assert (
        admin_api.put("/api/v1/services/999/alert-settings", {"severity_urgency": {}}).status_code
        == 404
    )
    elsewhere = f"/api/v1/services/{other}/integrations/{integration['id']}"
    assert admin_api.post(f"{elsewhere}/rotate").status_code == 404
    assert admin_api.delete(elsewhere).status_code == 404


def test_bad_integration_fields_are_422_and_named(admin_api: Api, service_id: int) -> None:
    def bad_fields(body: dict) -> set[str]:
        response = admin_api.post(f"/api/v1/services/{service_id}/integrations", body)
        assert response.status_code == 422, response.text
        return {str(error["loc"][-1]) for error in response.json()["detail"]}

    assert bad_fields({"type": "nagios", "name": "x"}) == {"type"}
    assert bad_fields({"type": "alertmanager", "name": ""}) == {"name"}
    assert bad_fields({"type": "alertmanager", "name": "x", "rate_limit_per_minute": 0}) == {
        "rate_limit_per_minute"
    }
    assert bad_fields({"type": "alertmanager", "name": "x", "key": "mine"}) == {"key"}


def test_access_logs_keep_the_secret_part_of_a_key_out(client: TestClient) -> None:
    key = "0123456789ab" + "cdef" * 5
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", f"/ingest/alertmanager/{key}", "1.1", 202),
        None,
    )
    assert logging.getLogger("uvicorn.access").filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "POST /ingest/alertmanager/0123456789ab… HTTP/1.1" 202'
    )


def test_the_receivers_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v2/enqueue", "/ingest/alertmanager/{key}", "/ingest/webhook/{key}"):
        assert set(paths[path]["post"]["responses"]) == {"202", "400", "404", "429"}, path


def test_an_oversized_alert_is_413(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "alertmanager")
    huge = {"version": "4", "alerts": [], "padding": "x" * (2 * 1024 * 1024)}
    assert admin_api.client.post(receiver(integration), json=huge).status_code == 413
    assert incidents(admin_api) == []


def test_deleting_a_service_deletes_its_integrations(admin_api: Api, service_id: int) -> None:
    integration = add_integration(admin_api, service_id, "events_api_v2")
    assert admin_api.delete(f"/api/v1/services/{service_id}").status_code == 204
    event = pdpyras_trigger(integration["key"], "x", "y")
    assert admin_api.client.post("/v2/enqueue", json=event).status_code == 404


def test_the_labels_a_slack_message_shows_are_set_per_service(
    admin_api: Api, service_id: int
) -> None:
    settings = f"/api/v1/services/{service_id}/alert-settings"
    assert admin_api.get(settings).json()["shown_labels"] == [
        "severity",
        "environment",
        "env",
        "cluster",
        "namespace",
        "service",
        "instance",
    ]
    body = {"severity_urgency": {}, "shown_labels": ["team", "zone"]}
    assert admin_api.put(settings, body).json()["shown_labels"] == ["team", "zone"]
    assert admin_api.get(settings).json()["shown_labels"] == ["team", "zone"]
    too_many = {"severity_urgency": {}, "shown_labels": [f"l{n}" for n in range(11)]}
    assert admin_api.put(settings, too_many).status_code == 422
    assert (
        admin_api.put(settings, {"severity_urgency": {}, "shown_labels": [""]}).status_code == 422
    )
    assert admin_api.put(settings, {"severity_urgency": {}}).json()["shown_labels"][0] == "severity"
