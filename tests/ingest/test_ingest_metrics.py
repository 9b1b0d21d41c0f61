"""Alert events on /metrics: each by integration type and outcome, refusals too."""

from __future__ import annotations

from ingest_support import (
    add_integration,
    alertmanager_alert,
    alertmanager_notification,
    pdpyras_trigger,
    receiver,
)
from support import Api, Metrics


def test_events_are_counted_by_integration_and_outcome(admin_api: Api, service_id: int) -> None:
    key = add_integration(admin_api, service_id, "events_api_v2", rate_limit_per_minute=3)["key"]
    metrics = Metrics(admin_api)

    def send(event: dict) -> int:
        return admin_api.client.post("/v2/enqueue", json=event).status_code

    assert send(pdpyras_trigger(key, "Disk full", "web-1", dedup_key="disk")) == 202
    assert send(pdpyras_trigger(key, "Disk full", "web-1", dedup_key="disk")) == 202
    assert send({"routing_key": key, "event_action": "trigger"}) == 400
    assert send(pdpyras_trigger("f" * 32, "Disk full", "web-1")) == 404
    assert send(pdpyras_trigger(key, "CPU", "web-1", dedup_key="cpu")) == 202
    assert send(pdpyras_trigger(key, "CPU", "web-1", dedup_key="cpu")) == 429

    counted = "watchkeep_ingest_events_total"
    v2 = {"integration": "events_api_v2"}
    assert metrics.delta(counted, **v2, outcome="triggered") == 2
    assert metrics.delta(counted, **v2, outcome="repeated") == 1
    assert metrics.delta(counted, **v2, outcome="invalid") == 1
    assert metrics.delta(counted, **v2, outcome="unknown_key") == 1
    assert metrics.delta(counted, **v2, outcome="throttled") == 1

    alertmanager = add_integration(admin_api, service_id, "alertmanager")
    body = alertmanager_notification(
        alertmanager_alert("HighLatency"), alertmanager_alert("Errors")
    )
    assert admin_api.client.post(receiver(alertmanager), json=body).status_code == 202
    assert metrics.delta(counted, integration="alertmanager", outcome="triggered") == 2
