"""Each integration's rate limit: 429 with Retry-After beyond it, nothing written."""

from __future__ import annotations

from watchkeep.runtime import Runtime

from ingest_support import (
    add_integration,
    alertmanager_alert,
    alertmanager_notification,
    incidents,
    pdpyras_trigger,
    receiver,
)
from support import Api, FrozenClock


def test_beyond_its_rate_an_integration_is_told_when_to_retry(
    admin_api: Api, service_id: int, clock: FrozenClock
) -> None:
    noisy = add_integration(admin_api, service_id, "events_api_v2", rate_limit_per_minute=3)["key"]
    quiet = add_integration(admin_api, service_id, "events_api_v2")["key"]

    def send(key: str, n: int) -> int:
        event = pdpyras_trigger(key, f"alert {n}", "x", dedup_key=f"{key}-{n}")
        return admin_api.client.post("/v2/enqueue", json=event).status_code

    assert [send(noisy, n) for n in range(3)] == [202] * 3
    refused = admin_api.client.post("/v2/enqueue", json=pdpyras_trigger(noisy, "more", "x"))
    assert refused.status_code == 429
    assert refused.json()["status"] == "throttle event"
    assert refused.headers["Retry-After"] == "60"
    assert send(quiet, 1) == 202, "the limit is per integration"

    clock.advance(seconds=45)
    refused = admin_api.client.post("/v2/enqueue", json=pdpyras_trigger(noisy, "more", "x"))
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "15")
    clock.advance(seconds=15)
    assert send(noisy, 3) == 202
    assert len(incidents(admin_api)) == 5, "refused events left nothing behind"


def test_alertmanager_notifications_count_their_alerts_and_are_refused_whole(
    admin_api: Api, service_id: int
) -> None:
    path = receiver(add_integration(admin_api, service_id, "alertmanager", rate_limit_per_minute=3))
    pair = alertmanager_notification(
        alertmanager_alert("aaaaaaaaaaaaaaaa"), alertmanager_alert("bbbbbbbbbbbbbbbb")
    )
    assert admin_api.client.post(path, json=pair).status_code == 202
    other_pair = alertmanager_notification(
        alertmanager_alert("cccccccccccccccc"), alertmanager_alert("dddddddddddddddd")
    )
    assert admin_api.client.post(path, json=other_pair).status_code == 429
    assert len(incidents(admin_api)) == 2
    single = alertmanager_notification(alertmanager_alert("cccccccccccccccc"))
    assert admin_api.client.post(path, json=single).status_code == 202, "the refusal used none"


def test_without_its_own_limit_an_integration_has_the_installations(
    admin_api: Api, service_id: int, runtime: Runtime
) -> None:
    runtime.settings.ingest_rate_per_minute = 2
    key = add_integration(admin_api, service_id, "events_api_v2")["key"]
    statuses = [
        admin_api.client.post("/v2/enqueue", json=pdpyras_trigger(key, "x", "y")).status_code
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]
