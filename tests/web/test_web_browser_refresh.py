"""The incident list's refresh in a real browser: an unchanged list is answered 304
(the browser revalidates its copy with the ETag) and stays on screen; a new incident
still appears within a refresh or two."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture skips these tests with the reason (fails in CI)
    expect = None  # type: ignore[assignment]

from watchkeep.core import incidents, services
from watchkeep.core.actors import Actor
from watchkeep.core.models import Urgency

from browser_fixtures import sign_in
from live_server import LiveServer


def not_modified() -> float:
    labels = {"method": "GET", "route": "/incidents", "status": "304"}
    return REGISTRY.get_sample_value("watchkeep_http_requests_total", labels) or 0.0


def trigger(live: LiveServer, title: str) -> None:
    runtime = live.runtime
    with runtime.db.write() as db:
        service = services.get_service_by_name(db, "checkout")
        if service is None:
            service = services.create_service(db, name="checkout", now=runtime.clock.now())
        incidents.create_incident(
            db,
            title=title,
            service_id=service.id,
            urgency=Urgency.HIGH,
            actor=Actor.system(),
            now=runtime.clock.now(),
        )


def test_an_unchanged_list_is_a_304_and_stays_on_screen(page: Any, live: LiveServer) -> None:
    trigger(live, "Checkout 502s")
    sign_in(page)
    page.goto("/incidents")
    rows = page.locator("#incident-list tbody tr")
    expect(rows).to_have_count(1)
    before = not_modified()
    # Two refreshes (every 3 s) with nothing new: the browser revalidates its copy.
    # Refreshes every 3 s with nothing new: the browser revalidates its copy with the
    # ETag, the server answers 304, and the browser shows its copy (htmx sees a 200).
    for _ in range(40):
        if not_modified() > before:
            break
        page.wait_for_timeout(250)
    assert not_modified() > before, "no refresh was answered 304"
    expect(rows).to_have_count(1)
    expect(page.locator("#incident-list")).to_contain_text("Checkout 502s")

    trigger(live, "Disk almost full")
    expect(rows).to_have_count(2, timeout=10_000)
    expect(rows.first).to_contain_text("Disk almost full")
