"""PagerDuty Change Events from a CI deploy step: kept on the service, shown beside the
incidents that follow them."""

from __future__ import annotations

from ingest_support import add_integration, incidents, pdpyras_trigger, sample
from support import Api, FrozenClock


def change(api: Api, body: dict, status: int = 202) -> dict:
    response = api.client.post("/v2/change/enqueue", json=body)
    assert response.status_code == status, response.text
    return response.json()


def deploy_marker(routing_key: str, **payload: object) -> dict:
    body = sample("change_event_ci.json")
    body["routing_key"] = routing_key
    body["payload"].update(payload)
    return body


def test_a_change_is_accepted_as_pagerduty_answers_and_makes_no_incident(
    admin_api: Api, service_id: int
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2", name="CI")["key"]
    answer = change(admin_api, deploy_marker(key))
    assert answer["status"] == "success"
    assert answer["message"] == "Change event processed"
    assert answer["id"]
    assert incidents(admin_api) == []


def test_recent_changes_of_the_last_24_hours_show_on_the_services_incidents(
    admin_api: Api, service_id: int, clock: FrozenClock
) -> None:
    # The clock reads 09:00; the CI deployed at 08:48 and, the day before, at 08:00.
    key = add_integration(admin_api, service_id, "events_api_v2", name="CI")["key"]
    change(admin_api, deploy_marker(key))
    change(
        admin_api,
        deploy_marker(key, summary="Deployed checkout v2.2", timestamp="2026-03-01T08:00:00Z"),
    )
    other_service = admin_api.post("/api/v1/services", {"name": "search"}).json()["id"]
    other_key = add_integration(admin_api, other_service, "events_api_v2")["key"]
    change(admin_api, deploy_marker(other_key, summary="Deployed search v9"))

    answer = admin_api.client.post(
        "/v2/enqueue", json=pdpyras_trigger(key, "Checkout 5xx above 5%", "lb-1", dedup_key="5xx")
    )
    assert answer.status_code == 202
    [incident] = incidents(admin_api)
    assert [(c["summary"], c["before"]) for c in incident["recent_changes"]] == [
        ("Deployed checkout v2.3", "12 min")
    ]
    [recent] = incident["recent_changes"]
    assert recent["source"] == "github-actions/checkout-deploy"
    assert recent["sender"] == "CI (events_api_v2)"
    assert recent["links"] == [
        {
            "href": "https://github.com/acme/checkout/actions/runs/4242",
            "text": "View the deploy run",
        }
    ]
    detail = admin_api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert [c["summary"] for c in detail["recent_changes"]] == ["Deployed checkout v2.3"]

    # A change after the incident triggered is not one that preceded it.
    clock.advance(minutes=5)
    change(admin_api, deploy_marker(key, summary="Rolled back", timestamp=None))
    assert [c["summary"] for c in incidents(admin_api)[0]["recent_changes"]] == [
        "Deployed checkout v2.3"
    ]


def test_a_bad_change_is_400_naming_the_field_and_an_unknown_key_404(
    admin_api: Api, service_id: int
) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    answer = change(admin_api, deploy_marker(key, summary=""), status=400)
    assert [e.split(":")[0] for e in answer["errors"]] == ["payload.summary"]
    body = deploy_marker(key)
    del body["payload"]
    assert [e.split(":")[0] for e in change(admin_api, body, status=400)["errors"]] == ["payload"]
    answer = change(admin_api, deploy_marker("0" * 32), status=404)
    assert answer["errors"] == ["routing_key: no integration has this key (revoked or rotated?)"]


def test_a_services_changes_are_listed_newest_first(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2", name="CI")["key"]
    change(admin_api, deploy_marker(key, summary="v2.2", timestamp="2026-03-02T07:00:00Z"))
    change(admin_api, deploy_marker(key, summary="v2.3", timestamp="2026-03-02T08:48:00Z"))
    listing = admin_api.get(f"/api/v1/services/{service_id}/changes").json()
    assert listing["total"] == 2
    assert [c["summary"] for c in listing["items"]] == ["v2.3", "v2.2"]
    assert listing["items"][0]["custom_details"]["commit"] == "9f2c1e4"
    assert admin_api.get("/api/v1/services/999/changes").status_code == 404
