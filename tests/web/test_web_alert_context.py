"""The incident page shows what the alert carried: who sent it, its labels and
annotations, its links as buttons, its images, the deploy before it, its history."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from watchkeep.core import services
from watchkeep.core.models import Incident
from watchkeep.ingest import integrations
from watchkeep.ingest.models import IntegrationType
from watchkeep.runtime import Runtime

from support import FrozenClock
from web_support import Pages, text_of


def integration(runtime: Runtime, kind: IntegrationType, name: str) -> tuple[int, str]:
    with runtime.db.write() as db:
        service = services.get_service_by_name(db, "checkout") or services.create_service(
            db, name="checkout", now=runtime.clock.now()
        )
        _, key = integrations.create_integration(
            db, service_id=service.id, integration_type=kind, name=name, now=runtime.clock.now()
        )
        return service.id, key


def alert(fingerprint: str, **annotations: str) -> dict:
    return {
        "status": "firing",
        "labels": {
            "alertname": "HighErrorRate",
            "severity": "critical",
            "pod": "<script>x</script>",
        },
        "annotations": {"summary": "5xx above 5%", "description": "The API fails.", **annotations},
        "startsAt": "2026-03-02T08:50:00Z",
        "generatorURL": "http://prometheus.monitoring:9090/graph?g0.expr=errors",
        "fingerprint": fingerprint,
    }


def notify(client: TestClient, key: str, *alerts: dict) -> None:
    body = {"version": "4", "status": "firing", "receiver": "watchkeep", "alerts": list(alerts)}
    answer = client.post(f"/ingest/alertmanager/{key}", json=body)
    assert answer.status_code == 202, answer.text


def buttons(html: str) -> list[tuple[str, str]]:
    section = html[html.index('id="alert-context"') :]
    return re.findall(r'<a class="button" href="([^"]+)"[^>]*>([^<]+)</a>', section)


def test_the_page_shows_the_alert_its_links_and_its_history(
    runtime: Runtime, browser: TestClient, pages: Pages, clock: FrozenClock
) -> None:
    _, key = integration(runtime, IntegrationType.ALERTMANAGER, "Prometheus")
    _, ci = integration(runtime, IntegrationType.EVENTS_API_V2, "CI")
    change = {
        "routing_key": ci,
        "payload": {"summary": "Deployed checkout v2.3", "timestamp": "2026-03-02T08:48:00Z"},
    }
    assert browser.post("/v2/change/enqueue", json=change).status_code == 202
    first = alert("8f0c0f6d2b1a4e31", runbook_url="https://wiki.example.com/5xx")
    notify(browser, key, first)
    clock.advance(minutes=3)
    notify(browser, key, {**first, "annotations": {**first["annotations"], "value": "7.5%"}})

    with runtime.db.read() as db:
        incident_id = db.scalars(select(Incident.id)).one()
    page = pages.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Source Prometheus (alertmanager)" in text
    assert "via api" not in text
    assert buttons(page.text) == [
        ("https://wiki.example.com/5xx", "Runbook"),
        ("http://prometheus.monitoring:9090/graph?g0.expr=errors", "View in Prometheus"),
    ]
    assert "Deployed checkout v2.3 · 12 min before" in text
    assert "alertname HighErrorRate severity critical pod <script>x</script>" in text
    assert "<script>x</script>" not in page.text, "label values are escaped"
    assert "runbook_url https://wiki.example.com/5xx" in text
    assert "First seen 2026-03-02 09:00 UTC Last seen 2026-03-02 09:03 UTC Alerts 2" in text
    assert re.search(r'id="alert-count">2<', page.text)
    payloads = re.findall(r"<summary>Alert (\d+) ·", page.text)
    assert payloads == ["2", "1"], "the newest first"
    assert "7.5%" in page.text
