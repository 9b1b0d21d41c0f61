"""Settings → Integrations → Slack in the browser: credentials that are never
shown back, Test Connection with Slack's own words, channel dropdowns built from
every page of the list, notification preferences, health and the manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import text

from watchkeep.core.models import Role
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.runtime import Runtime
from watchkeep.slack import credentials, workspaces

from support import Delivery
from web_support import Pages, text_of

PAGE = "/settings/integrations/slack"
HTMX = {"HX-Request": "true"}
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def connect(pages: Pages, workspace: Workspace, deliver: Delivery, **extra: str) -> int:
    pages.get(PAGE)
    saved = pages.submit(
        f"{PAGE}/app",
        {"bot_token": workspace.token, "signing_secret": SIGNING_SECRET, **extra},
    )
    assert "Slack settings saved." in text_of(saved), text_of(saved)
    deliver()  # the identify job asks Slack which team the token belongs to
    with pages.client.app.state.runtime.db.read() as db:  # type: ignore[attr-defined]
        [workspace_row] = workspaces.list_workspaces(db)
        return workspace_row.id


def test_before_connecting_the_page_explains_the_way_in(pages: Pages) -> None:
    page = text_of(pages.get(PAGE))
    assert "No workspace is connected yet" in page
    assert "Add Workspace needs the Client ID and Client Secret" in page
    assert "https://watchkeep.example.com/api/settings/slack-oauth/callback" in page
    manifest = json.loads(
        pages.last.text.split("readonly>", 1)[1]
        .split("</textarea>")[0]
        .replace("&#34;", '"')
        .replace("&amp;", "&")
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&#39;", "'")
    )
    assert manifest["settings"]["interactivity"]["request_url"] == (
        "https://watchkeep.example.com/api/slack/actions"
    )
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://watchkeep.example.com/api/settings/slack-oauth/callback"
    ]
    assert {"chat:write", "channels:read", "groups:read", "users:read.email", "commands"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )


def test_secrets_are_saved_encrypted_and_never_shown_back(
    pages: Pages, acme: Workspace, deliver: Delivery, runtime: Runtime
) -> None:
    connect(pages, acme, deliver, client_id="1111.2222", client_secret="cs-" + "9" * 30)
    page = pages.get(PAGE)
    for secret in (acme.token, SIGNING_SECRET, "cs-" + "9" * 30):
        assert secret not in page.text
    assert 'value="1111.2222"' in page.text
    assert "Set (••••9999); leave empty to keep it." in page.text
    assert "Set (••••85a5); leave empty to keep it." in page.text
    assert "Acme Corp" in text_of(page)

    pages.submit(f"{PAGE}/app", {"client_id": "1111.2222"})  # secrets left empty: kept
    with runtime.db.read() as db:
        assert credentials.accepted_signing_secrets(db, runtime.secrets, runtime.clock.now()) == [
            SIGNING_SECRET
        ]
    with runtime.db.engine.connect() as connection:
        stored = str(connection.execute(text("SELECT * FROM slack_app")).all())
        stored += str(connection.execute(text("SELECT * FROM slack_workspaces")).all())
    assert SIGNING_SECRET not in stored
    assert acme.token not in stored


def test_bad_credentials_are_explained_next_to_each_field_and_nothing_is_saved(
    pages: Pages, runtime: Runtime
) -> None:
    pages.get(PAGE)
    refused = pages.submit(
        f"{PAGE}/app",
        {"client_id": "abc", "signing_secret": "short", "bot_token": "not-a-token"},
    )
    assert refused.status_code == 422
    assert 'id="client_id-error">looks like 1234567890.1234567890' in refused.text
    assert 'id="signing_secret-error">must be 8 to 200 characters' in refused.text
    again = pages.submit(f"{PAGE}/app", {"client_id": "1.2", "bot_token": "not-a-token"})
    assert 'id="bot_token-error">must be a Slack bot token (xoxb-…)' in again.text
    with runtime.db.read() as db:
        assert workspaces.list_workspaces(db) == []


def test_a_token_slack_refuses_is_not_kept(
    pages: Pages, acme: Workspace, slack: SlackState, runtime: Runtime
) -> None:
    slack.revoke_token(acme.token)
    pages.get(PAGE)
    refused = pages.submit(f"{PAGE}/app", {"bot_token": acme.token})
    assert refused.status_code == 422
    assert 'id="bot_token-error">Slack refused this token: token_revoked' in refused.text
    with runtime.db.read() as db:
        assert workspaces.list_workspaces(db) == []


def test_a_saved_token_is_identified_at_once(
    pages: Pages, acme: Workspace, runtime: Runtime
) -> None:
    pages.get(PAGE)
    saved = pages.submit(f"{PAGE}/app", {"bot_token": acme.token})
    assert "Acme Corp" in text_of(saved), "no waiting for the identify job"
    with runtime.db.read() as db:
        [workspace] = workspaces.list_workspaces(db)
    assert (workspace.team_id, workspace.bot_id) == (acme.team_id, acme.bot_id)


def test_test_connection_says_success_with_the_workspace_or_slacks_exact_error(
    pages: Pages, acme: Workspace, deliver: Delivery, slack: SlackState
) -> None:
    workspace_id = connect(pages, acme, deliver)
    pages.get(PAGE)
    ok = pages.submit(f"{PAGE}/workspaces/{workspace_id}/test", headers=HTMX)
    assert "✓ Connection successful: Acme Corp" in text_of(ok)

    slack.revoke_token(acme.token)
    failed = pages.submit(f"{PAGE}/workspaces/{workspace_id}/test", headers=HTMX)
    assert "✗ Slack said: token_revoked (auth.test)" in text_of(failed)


def test_a_test_message_goes_to_the_chosen_channel(
    pages: Pages, acme: Workspace, deliver: Delivery, slack: SlackState
) -> None:
    workspace_id = connect(pages, acme, deliver)
    pages.get(f"{PAGE}/workspaces/{workspace_id}")
    channel = slack.channel("#team-007", team=acme)
    sent = pages.submit(
        f"{PAGE}/workspaces/{workspace_id}/test", {"channel": channel.id}, headers=HTMX
    )
    assert "test message sent to #team-007" in text_of(sent)
    [message] = slack.messages_in("#team-007", team=acme)
    assert "Watchkeep is connected" in message.text


def test_the_channel_dropdown_has_every_page_of_channels_and_a_refresh(
    pages: Pages, acme: Workspace, deliver: Delivery, slack: SlackState
) -> None:
    workspace_id = connect(pages, acme, deliver)
    slack.clear_calls()
    fragment = pages.get(f"{PAGE}/workspaces/{workspace_id}/preferences", headers=HTMX)
    assert "<html" not in fragment.text
    assert len(slack.calls("conversations.list")) == 2, "250+ channels take two pages"
    page = text_of(fragment)
    assert "251 channels" in page, "public channels and the private one the bot is in"
    assert "#team-249" in page
    assert "#secret-ops (private)" in page
    assert "#hidden" not in page

    pages.get(f"{PAGE}/workspaces/{workspace_id}/preferences", headers=HTMX)
    assert len(slack.calls("conversations.list")) == 2, "a second look uses the cached list"
    slack.add_channel(acme, "brand-new")
    refreshed = pages.get(
        f"{PAGE}/workspaces/{workspace_id}/preferences?refresh=true", headers=HTMX
    )
    assert "#brand-new" in text_of(refreshed)


def test_notification_preferences_are_saved_per_workspace(
    pages: Pages, acme: Workspace, deliver: Delivery, slack: SlackState, runtime: Runtime
) -> None:
    workspace_id = connect(pages, acme, deliver)
    pages.get(f"{PAGE}/workspaces/{workspace_id}")
    late_channel = slack.channel("#team-230", team=acme).id
    critical = slack.channel("#team-001", team=acme).id
    saved = pages.submit(
        f"{PAGE}/workspaces/{workspace_id}/preferences",
        {
            "default_channel": late_channel,
            "urgency_filter": "high_medium",
            "urgency_channel_HIGH": critical,
            "event_incident_triggered": "on",
            "event_incident_resolved": "on",
            "event_note_added": "on",
        },
        headers=HTMX,
    )
    assert "Notification preferences saved." in text_of(saved)
    assert f'<option value="{late_channel}" selected>#team-230</option>' in saved.text
    with runtime.db.read() as db:
        workspace = workspaces.get_workspace(db, workspace_id)
    assert workspace.default_channel == late_channel
    assert workspace.urgency_filter == "high_medium"
    assert workspace.urgency_channels == {"HIGH": critical}
    assert workspace.events["note_added"] is True
    assert workspace.events["incident_acknowledged"] is False

    bad = pages.submit(
        f"{PAGE}/workspaces/{workspace_id}/preferences",
        {"default_channel": "#Not Valid!", "urgency_filter": "all"},
        headers=HTMX,
    )
    assert bad.status_code == 422
    assert 'class="field-error" id="default-channel-' in bad.text
    assert "must be a channel id" in text_of(bad)
    with runtime.db.read() as db:
        assert workspaces.get_workspace(db, workspace_id).urgency_filter == "high_medium"


def test_message_choices_are_saved_per_workspace(
    pages: Pages, acme: Workspace, deliver: Delivery, runtime: Runtime
) -> None:
    workspace_id = connect(pages, acme, deliver)
    form = f"{PAGE}/workspaces/{workspace_id}/preferences"
    page = pages.get(f"{PAGE}/workspaces/{workspace_id}")
    assert 'name="thread_updates" checked' in page.text
    assert 'name="note_emoji" value="pushpin"' in page.text
    saved = pages.submit(
        form,
        {"urgency_filter": "all", "resolution_broadcast": "on", "note_emoji": ":memo:"},
        headers=HTMX,
    )
    assert "Notification preferences saved." in text_of(saved)
    with runtime.db.read() as db:
        workspace = workspaces.get_workspace(db, workspace_id)
    assert (workspace.thread_updates, workspace.resolution_broadcast) == (False, True)
    assert workspace.note_emoji == "memo"
    bad = pages.submit(form, {"urgency_filter": "all", "note_emoji": "two words"}, headers=HTMX)
    assert bad.status_code == 422
    assert "must be an emoji name such as pushpin or :memo:" in text_of(bad)
    with runtime.db.read() as db:
        assert workspaces.get_workspace(db, workspace_id).note_emoji == "memo"


def test_health_shows_the_last_error_waiting_messages_and_rate_limits(
    pages: Pages, acme: Workspace, deliver: Delivery, runtime: Runtime
) -> None:
    workspace_id = connect(pages, acme, deliver)
    now = runtime.clock.now()
    with runtime.db.write() as db:
        workspace = workspaces.get_workspace(db, workspace_id)
        workspace.last_error = "Slack chat.postMessage failed in #gone: channel_not_found"
        workspace.last_error_at = now
        workspace.rate_limited_until = now + timedelta(seconds=30)
    page = text_of(pages.get(PAGE))
    assert "Last error Slack chat.postMessage failed in #gone: channel_not_found" in page
    assert "rate limited until 2026-03-02 09:00 UTC" in page
    assert "Messages waiting 0" in page


def test_only_admins_reach_the_settings(pages_as: Callable[..., Pages]) -> None:
    rita = pages_as(Role.RESPONDER, "Rita Responder")
    refused = rita.get(PAGE)
    assert refused.status_code == 403
    assert "Your role (responder) may not configure." in text_of(refused)
    assert "Settings" not in text_of(rita.get("/incidents")).split("Sign out")[0]
