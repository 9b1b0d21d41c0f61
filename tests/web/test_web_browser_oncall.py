"""On-call pages in a real browser: an admin creates a schedule through the form
(a multi-select and a date-time field) and sees who is on call."""

from __future__ import annotations

from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture skips these tests with the reason (fails in CI)
    expect = None  # type: ignore[assignment]

from browser_fixtures import screenshot, sign_in
from live_server import LiveServer


def test_an_admin_creates_a_schedule_in_the_browser(page: Any, live: LiveServer) -> None:
    sign_in(page)
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    page.get_by_role("link", name="Schedules").click()
    page.get_by_role("link", name="New schedule").click()
    page.get_by_label("Name").fill("Primary")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("People, in turn").select_option(label="Ada Admin")
    page.get_by_label("Shift length (hours)").fill("168")
    page.get_by_label("First handoff").fill("2026-01-01T09:00")
    page.get_by_role("button", name="Create schedule").click()
    expect(page.get_by_text("Schedule Primary created.")).to_be_visible()
    expect(page.locator("#on-call-now")).to_contain_text("Ada Admin")
    page.get_by_role("link", name="Schedules", exact=True).first.click()
    expect(page.get_by_role("cell", name="Ada Admin")).to_be_visible()
    screenshot(page, "08-schedules")
    assert page.dialogs == []  # type: ignore[attr-defined]
