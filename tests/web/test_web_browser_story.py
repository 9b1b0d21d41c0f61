"""The whole story in a real browser (headless Chromium) against the real
server and the fake Slack: an admin signs in, configures Slack, tests it, picks
a default channel from the list's second page, adds a second workspace through
OAuth, creates a service with a channel, watches an incident arrive, and
acknowledges it; the acknowledgement lands in the Slack thread."""

from __future__ import annotations

from typing import Any

import httpx

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture skips these tests with the reason (fails in CI)
    expect = None  # type: ignore[assignment]

from watchkeep.core import accounts, tokens
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.slack import workspaces

from browser_fixtures import screenshot, sign_in
from live_server import LiveServer

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def api_token(live: LiveServer) -> str:
    runtime = live.runtime
    with runtime.db.write() as db:
        user = accounts.find_user_by_email(db, "ada@example.com")
        assert user is not None
        _, token = tokens.create_token(db, user, name="monitoring", now=runtime.clock.now())
        return token


def test_an_admin_sets_up_slack_and_responds_to_an_incident(
    page: Any, live: LiveServer, slack: SlackState, acme: Workspace
) -> None:
    slack.add_channel(acme, "payments")
    globex = slack.create_workspace("Globex")

    # Sign in.
    page.goto("/incidents")
    expect(page).to_have_url(f"{live.url}/login?next=%2Fincidents")
    screenshot(page, "01-login")
    sign_in(page)
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()

    # Settings → Integrations → Slack: credentials and the bot token.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Slack", exact=True)).to_be_visible()
    page.get_by_label("Client ID").fill(slack.client_id)
    page.get_by_label("Client Secret").fill(slack.client_secret)
    page.get_by_label("Signing Secret").fill(SIGNING_SECRET)
    page.get_by_label("Bot Token").fill(acme.token)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Slack settings saved.")
    expect(page.get_by_label("Bot Token")).to_have_value("")

    # Test Connection: Slack answers with the workspace's name.
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_text("Connection successful: Acme Corp")).to_be_visible()

    # The default channel is on the second page of conversations.list.
    default = page.locator("select[name=default_channel]").first
    expect(default.locator("option", has_text="#team-230")).to_have_count(1)
    default.select_option(label="#team-230")
    page.get_by_role("button", name="Save notifications").click()
    expect(page.get_by_text("Notification preferences saved.")).to_be_visible()
    page.get_by_label("Send a test message to").select_option(label="#incidents")
    page.get_by_role("button", name="Send test message").click()
    expect(page.get_by_text("test message sent to #incidents")).to_be_visible()
    screenshot(page, "02-settings-slack")
    with live.runtime.db.read() as db:
        [acme_row] = workspaces.list_workspaces(db)
    assert acme_row.default_channel == slack.channel("#team-230", team=acme).id
    assert "Watchkeep is connected" in slack.messages_in("#incidents", team=acme)[0].text

    # Add Workspace: Slack's consent page, then back, connected.
    page.get_by_role("button", name="Add Workspace").click()
    expect(
        page.get_by_role(
            "heading", name="Watchkeep is requesting permission to access a Slack workspace"
        )
    ).to_be_visible()
    screenshot(page, "03-oauth-consent")
    page.get_by_role("button", name="Allow in Globex").click()
    expect(page.get_by_text("Globex is connected. Choose its default channel.")).to_be_visible()
    expect(page.get_by_role("heading", name="Globex")).to_be_visible()
    with live.runtime.db.read() as db:
        teams = {w.team_id for w in workspaces.list_workspaces(db)}
    assert teams == {acme.team_id, globex.team_id}

    # A service announced in #payments.
    page.get_by_role("link", name="Services").click()
    page.get_by_role("link", name="New service").click()
    page.get_by_label("Name").fill("checkout")
    page.get_by_label("Acknowledge within (minutes)").fill("15")
    page.get_by_label("Slack channel").select_option(label="#payments")
    screenshot(page, "04-service-form")
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_text("Service checkout saved.")).to_be_visible()
    service_id = int(page.url.rsplit("/", 1)[1])

    # A monitoring tool triggers an incident; it appears in the open list by itself.
    page.get_by_role("link", name="Incidents").click()
    expect(page.get_by_text("No incidents match")).to_be_visible()
    response = httpx.post(
        f"{live.url}/api/v1/incidents",
        json={"title": "Checkout 502s", "service_id": service_id, "urgency": "HIGH"},
        headers={"Authorization": f"Bearer {api_token(live)}"},
    )
    assert response.status_code == 201, response.text
    row = page.get_by_role("row").filter(has_text="Checkout 502s")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Triggered")
    screenshot(page, "05-incidents")
    [message] = slack.wait_for(lambda: slack.messages_in("#payments", team=acme))

    # Acknowledge it from its page; the thread in Slack hears of it.
    row.get_by_role("link", name="Checkout 502s").click()
    expect(page.get_by_role("heading", name="Checkout 502s")).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Incident acknowledged.")).to_be_visible()
    expect(page.locator("#incident-status")).to_have_text("Acknowledged")
    expect(page.get_by_text("Acknowledged by Ada Admin").first).to_be_visible()
    expect(page.get_by_role("link", name="Open the message in Acme Corp")).to_be_visible()
    screenshot(page, "06-incident")
    replies = slack.wait_for(lambda: slack.thread("#payments", message.ts, team=acme)[1:])
    assert replies[0].text == "👀 Acknowledged by *Ada Admin*"
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_hostile_titles_stay_text_and_bad_input_is_explained(page: Any, live: LiveServer) -> None:
    sign_in(page)
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    page.wait_for_function("window.htmx !== undefined")
    swaps = page.evaluate("htmx.config.responseHandling.map(r => r.code + ':' + r.swap)")
    assert "422:true" in swaps, "field errors from htmx forms are shown"
    page.goto("/services/new")
    page.get_by_label("Name").fill("web")
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_text("Service web saved.")).to_be_visible()
    service_id = int(page.url.rsplit("/", 1)[1])
    httpx.post(
        f"{live.url}/api/v1/incidents",
        json={"title": "<script>alert(1)</script>", "service_id": service_id},
        headers={"Authorization": f"Bearer {api_token(live)}"},
    ).raise_for_status()
    page.goto("/incidents")
    expect(page.get_by_role("link", name="<script>alert(1)</script>")).to_be_visible()
    page.get_by_role("link", name="<script>alert(1)</script>").click()
    expect(page.get_by_role("heading", name="<script>alert(1)</script>")).to_be_visible()
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#text-error")).to_have_text("must not be empty")

    page.goto("/services/new")
    page.get_by_label("Name").fill("web")
    page.get_by_role("button", name="Create service").click()
    expect(page.locator("#name-error")).to_contain_text("already exists")
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    page.goto("/incidents/999")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    screenshot(page, "07-not-found")
    assert page.dialogs == []  # type: ignore[attr-defined]
