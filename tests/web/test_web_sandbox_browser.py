"""The Slack sandbox in a real browser, as a newcomer meets it: `serve --demo`,
sign in, open /sandbox, find the seeded incident's card in #incidents with its
red bar, act as a Slack user whose email is a Watchkeep responder's, press
Acknowledge, Resolve through the modal, and ask `/watchkeep incidents`.
Screenshots of each step land in test-artifacts/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture skips these tests with the reason (fails in CI)
    expect = None  # type: ignore[assignment]

from test_web_demo import free_port

from browser_fixtures import screenshot

RED = "#E01E5A"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`watchkeep serve --demo` in its own process: its URL and the admin's password."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "watchkeep", "serve", "--demo", "--port", str(port)],
        env={**os.environ, "WATCHKEEP_DATA_DIR": str(tmp_path / "demo"), "NO_PROXY": "*"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        output = []
        for line in server.stdout:  # blocks until the server says it is listening
            output.append(line)
            if "Uvicorn running on" in line or server.poll() is not None:
                break
        printed = "".join(output)
        password = re.search(r"with password: (\S+)", printed)
        assert password, printed
        yield f"http://127.0.0.1:{port}", password.group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def card(page: Any, title: str) -> Any:
    return page.locator("#sb-messages article.sb-msg", has_text=title)


def act_as(page: Any, person: str) -> None:
    page.get_by_label("Act as Slack user").select_option(label=person)
    page.get_by_role("button", name="Switch").click()


def test_a_newcomer_responds_to_an_incident_in_the_slack_sandbox(
    chromium: Any, demo: tuple[str, str]
) -> None:
    url, password = demo
    expect.set_options(timeout=15_000)
    context = chromium.new_context(base_url=url, viewport={"width": 1400, "height": 950})
    page = context.new_page()
    try:
        page.goto("/sandbox")
        page.get_by_label("Email").fill("admin@example.com")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="# incidents")).to_be_visible()

        # The seeded incident's card, in #incidents, with the red (high urgency) bar.
        incident = card(page, "Checkout 502s above 5%")
        expect(incident).to_have_count(1)
        expect(incident.locator(f'svg.sb-bar rect[fill="{RED}"]')).to_have_count(1)
        expect(incident.get_by_role("button", name="Acknowledge", exact=True)).to_be_visible()
        screenshot(page, "sandbox-01-incident-card")

        # Act as Alice (alice@example.com is a Watchkeep responder) and acknowledge.
        act_as(page, "Alice Ng · alice@example.com (Watchkeep Demo)")
        expect(page.get_by_label("Act as Slack user")).to_contain_text("Alice Ng")
        incident.get_by_role("button", name="Acknowledge", exact=True).click()
        expect(incident.get_by_role("button", name="Acknowledged ✓")).to_be_visible()
        thread = page.locator("#sb-thread")
        expect(thread).to_contain_text("Acknowledged by Alice Ng")
        screenshot(page, "sandbox-02-acknowledged")

        # Resolve: Watchkeep opens its modal; fill it in and submit.
        incident.get_by_role("button", name="Resolve", exact=True).click()
        modal = page.get_by_role("dialog", name="Resolve incident")
        expect(modal).to_be_visible()
        modal.get_by_label("Resolution note").fill("Rolled back checkout-7f9c.")
        screenshot(page, "sandbox-03-resolve-modal")
        modal.get_by_role("button", name="Resolve").click()
        expect(modal).to_have_count(0)
        expect(thread).to_contain_text("Resolved by Alice Ng")
        expect(thread).to_contain_text("Rolled back checkout-7f9c.")
        expect(incident).to_contain_text("Resolved by Alice Ng")
        screenshot(page, "sandbox-04-resolved")

        # A menu: snooze the acknowledged incident for 15 minutes (htmx posts on change).
        latency = card(page, "p99 latency over 800ms")
        latency.get_by_label("Snooze").select_option(label="15 min")
        expect(latency).to_contain_text("Snoozed by Alice Ng")
        expect(page.locator("#sb-thread")).to_contain_text("Snoozed by Alice Ng")

        # The incident page links to its message in the sandbox, thread open.
        page.goto("/incidents/1")
        page.get_by_role("link", name="Open the message in Watchkeep Demo (sandbox)").click()
        expect(page.locator("#sb-thread")).to_contain_text("Resolved by Alice Ng")
        # The war-room runbook opened an incident channel for the HIGH incident.
        expect(page.get_by_role("link", name="# incident-1 incident")).to_be_visible()

        # A slash command: the answer is for Alice only.
        page.get_by_label("Message incidents").fill("/watchkeep incidents")
        page.get_by_label("Message incidents").press("Enter")
        private = page.locator("#sb-messages article.sb-msg.ephemeral")
        expect(private).to_have_count(1)
        expect(private).to_contain_text("Only visible to you")
        expect(private).to_contain_text("Open incidents (2)")
        expect(private).to_contain_text("p99 latency over 800ms")
        expect(private).to_contain_text("Index rebuild lagging")
        screenshot(page, "sandbox-05-slash-command")

        # A real Events API v2 request to the demo's own integration: a new card arrives.
        page.get_by_role("button", name="Trigger a sample alert").click()
        expect(page.get_by_role("status")).to_contain_text("Sent a sample alert")
        sample = re.compile("Checkout error rate above 2%|Disk 91% full on db-2|Payment provider")
        expect(page.locator("#sb-messages article.sb-msg", has_text=sample)).to_have_count(1)
        screenshot(page, "sandbox-06-sample-alert")

        # Pin the incident's card: Slack sends pin_added and Watchkeep keeps it as a note.
        incident.locator("summary[aria-label='More actions']").first.click()
        incident.get_by_role("button", name="📌 Pin to channel").click()
        expect(page.locator("#sb-thread")).to_contain_text("Saved to incident #1's notes")
        expect(incident).to_contain_text("Pinned to this channel")
        screenshot(page, "sandbox-07-pinned")

        # App Home: app_home_opened, and the Home tab Watchkeep publishes for Alice.
        page.get_by_role("button", name="🏠 watchkeep Home").click()
        expect(page.locator("#sb-messages")).to_contain_text("Your teams' open incidents")
        screenshot(page, "sandbox-08-app-home")

        # Bob does not see Alice's private answer.
        act_as(page, "Bob Osei · bob@example.com (Watchkeep Demo)")
        expect(page.get_by_label("Act as Slack user")).to_contain_text("Bob Osei")
        expect(page.locator("#sb-messages article.sb-msg.ephemeral")).to_have_count(0)
    finally:
        context.close()
