"""Runbooks in a real browser (headless Chromium) against the live server, its worker
and the fake Slack: an admin writes a runbook with an unknown variable and sees the
error inline, fixes it, previews it (nothing reaches Slack), saves it; a HIGH incident
runs it; the incident page shows the run and the new channel; the failed step is
retried from the page once its channel exists."""

from __future__ import annotations

from typing import Any

import httpx

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture skips these tests with the reason (fails in CI)
    expect = None  # type: ignore[assignment]

from watchkeep.core import accounts, services, tokens
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.runbooks.models import RunbookRun, RunStatus

from browser_fixtures import screenshot, sign_in
from live_server import LiveServer

WAR_ROOM = """name: War room
trigger: {events: [incident.triggered], conditions: {urgency: [HIGH]}}
steps:
  - Action Type: Slack
    Operation: Create Channel
    Name: "incident-[incident.id]"
  - Action Type: Slack
    Operation: Send Message
    Channel: "#[incident.channel]"
    Message: "[incident.severty] incident in [incident.service]"
  - Action Type: Slack
    Operation: Send Message
    Channel: "#stakeholders"
    Message: "Heads up: [incident.title]"
"""


def api_token(live: LiveServer) -> str:
    with live.runtime.db.write() as db:
        user = accounts.find_user_by_email(db, "ada@example.com")
        assert user is not None
        _, token = tokens.create_token(db, user, name="monitoring", now=live.runtime.clock.now())
        return token


def run_status(live: LiveServer) -> RunStatus | None:
    with live.runtime.db.read() as db:
        run = db.query(RunbookRun).order_by(RunbookRun.id.desc()).first()
        return run.status if run is not None and run.status is not RunStatus.RUNNING else None


def test_an_admin_writes_previews_saves_and_retries_a_runbook(
    page: Any, live: LiveServer, slack: SlackState, acme: Workspace
) -> None:
    with live.runtime.db.write() as db:
        service = services.create_service(
            db, name="checkout", slack_channel="#incidents", now=live.runtime.clock.now()
        )
        service_id = service.id
    sign_in(page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Bot Token").fill(acme.token)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Slack settings saved.")

    # Write it, with a typo in a variable: refused, the problem shown by step and key.
    page.get_by_role("link", name="Runbooks").click()
    page.get_by_role("link", name="New runbook").click()
    editor = page.get_by_label("Runbook (YAML, as in the docs)")
    editor.fill(WAR_ROOM)
    page.get_by_role("button", name="Save").click()
    problem = page.locator("#document-error")
    expect(problem).to_have_text("Step 2 · Message: unknown variable 'incident.severty'")
    expect(problem).to_have_attribute("data-step", "2")
    expect(editor).to_have_attribute("aria-invalid", "true")
    screenshot(page, "20-runbook-inline-error")

    # Fixed, previewed for a sample incident: rendered, nothing sent to Slack.
    slack.clear_calls()
    editor.fill(WAR_ROOM.replace("severty", "severity"))
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("HIGH incident in sample-service")
    expect(preview.locator("li[data-step='1']")).to_contain_text("incident-42")
    assert slack.calls() == []
    screenshot(page, "21-runbook-preview")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Runbook War room saved.")).to_be_visible()
    page.get_by_role("link", name="Runbooks", exact=True).first.click()
    row = page.locator("tr[data-runbook='War room']")
    expect(row).to_contain_text("triggered")
    expect(row).to_contain_text("org")

    # A HIGH incident runs it: a channel, a message in it, and a refusal for #stakeholders.
    response = httpx.post(
        f"{live.url}/api/v1/incidents",
        json={"title": "Checkout 502s", "service_id": service_id, "urgency": "HIGH"},
        headers={"Authorization": f"Bearer {api_token(live)}"},
    )
    assert response.status_code == 201, response.text
    incident_id = response.json()["id"]
    slack.wait_for(lambda: run_status(live) is RunStatus.FAILED)
    page.goto(f"/incidents/{incident_id}")
    expect(page.locator(".incident-channel")).to_contain_text("#incident-1")
    run = page.locator("#runbook-runs li.run").first
    expect(run).to_have_attribute("data-status", "FAILED")
    expect(run.locator("li[data-step='1']")).to_contain_text("opened #incident-1")
    expect(run.locator("li[data-step='3']")).to_contain_text("channel_not_found")
    assert [m.text for m in slack.messages_in("#incident-1", team=acme)] == [
        "HIGH incident in checkout"
    ]
    screenshot(page, "22-incident-runbook-failed")

    # The channel is made; Retry resumes from the failed step.
    slack.add_channel(acme, "stakeholders")
    run.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("retried from its failed step")).to_be_visible()
    slack.wait_for(lambda: run_status(live) is RunStatus.SUCCEEDED)
    page.reload()
    expect(page.locator("#runbook-runs li.run").first).to_have_attribute("data-status", "SUCCEEDED")
    assert [m.text for m in slack.messages_in("#stakeholders", team=acme)] == [
        "Heads up: Checkout 502s"
    ]
    assert len(slack.messages_in("#incident-1", team=acme)) == 1
    screenshot(page, "23-incident-runbook-retried")
    assert page.dialogs == []  # type: ignore[attr-defined]
