"""Pages of paging by DM, on-call user groups and Socket Mode: one's own notification
rules on the profile page, a schedule's Slack user group on its form and page (with
Slack's error), and the app-level token and Socket Mode manifest in the Slack settings."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape

from watchkeep.core import accounts, notification_rules
from watchkeep.core.models import Role
from watchkeep.core.notification_rules import NotificationRules
from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.runtime import Runtime
from watchkeep.slack import credentials

from support import Delivery, FrozenClock
from web_support import Pages, text_of

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def rules_of(runtime: Runtime, email: str) -> NotificationRules:
    with runtime.db.read() as db:
        user = accounts.find_user_by_email(db, email)
        assert user is not None
        return notification_rules.rules_of(user)


def test_everyone_sets_their_own_notification_rules(
    pages_as: Callable[..., Pages], runtime: Runtime
) -> None:
    viewer = pages_as(Role.VIEWER, "Vic Viewer")
    page = viewer.get("/settings/profile")
    assert "DM me in Slack at once" in text_of(page)
    assert 'id="slack_dm" name="slack_dm" checked' in page.text
    saved = viewer.submit(
        "/settings/profile/notification-rules", {"slack_dm": "on", "repeat_after_minutes": "5"}
    )
    assert "Notification rules saved." in text_of(saved)
    assert rules_of(runtime, "vic@example.com") == NotificationRules(True, 5)
    viewer.submit("/settings/profile/notification-rules", {"repeat_after_minutes": ""})
    assert rules_of(runtime, "vic@example.com") == NotificationRules(False, None)


def test_bad_repeat_minutes_are_explained_and_change_nothing(
    pages_as: Callable[..., Pages], runtime: Runtime
) -> None:
    me = pages_as(Role.RESPONDER, "Rita Responder")
    me.get("/settings/profile")
    for typed, problem in (
        ("soon", "must be a whole number of minutes, or empty"),
        ("0", "must be from 1 to 1440 minutes, or null for no repeat"),
    ):
        refused = me.submit(
            "/settings/profile/notification-rules",
            {"slack_dm": "on", "repeat_after_minutes": typed},
        )
        assert refused.status_code == 422
        assert problem in text_of(refused)
        assert f'value="{typed}"' in refused.text
    assert rules_of(runtime, "rita@example.com") == NotificationRules()


def connect(pages: Pages, workspace: Workspace, deliver: Delivery) -> None:
    pages.get("/settings/integrations/slack")
    pages.submit(
        "/settings/integrations/slack/app",
        {"bot_token": workspace.token, "signing_secret": SIGNING_SECRET},
    )
    deliver()


def test_a_schedule_keeps_a_user_group_and_its_page_shows_slacks_error(
    pages: Pages,
    make_user: Callable[..., str],
    runtime: Runtime,
    slack: SlackState,
    acme: Workspace,
    deliver: Delivery,
    clock: FrozenClock,
) -> None:
    connect(pages, acme, deliver)
    email = make_user(Role.RESPONDER, "Alice Ames")
    slack.add_user(acme, "alice", email=email)
    with runtime.db.read() as db:
        alice = accounts.find_user_by_email(db, email)
    form = pages.get("/schedules/new")
    assert 'name="slack_user_group"' in form.text
    fields = {
        "name": "Payments",
        "time_zone": "UTC",
        "user_ids": [str(alice.id)],
        "rotation_length_hours": "24",
        "start": "2026-03-01T10:00",
    }
    bad = pages.submit("/schedules", {**fields, "slack_user_group": "Pay Ops"})
    assert bad.status_code == 422
    assert "a Slack handle is 1 to 80 lowercase letters" in text_of(bad)
    created = pages.submit("/schedules", {**fields, "slack_user_group": "payments-oncall"})
    schedule_path = str(created.url.path)
    deliver(until=clock.now() + timedelta(hours=1))
    page = text_of(pages.get(schedule_path))
    assert "@payments-oncall is kept equal to who is on call" in page
    assert "Acme Corp: members alice since" in page

    acme.plan = "free"
    pages.submit(f"{schedule_path}/slack-user-group", {"slack_user_group": "payments-oncall"})
    deliver(until=clock.now() + timedelta(hours=1))
    page = text_of(pages.get(schedule_path))
    assert "Slack said: usergroups.users.update: paid_teams_only" in page
    stopped = pages.submit(f"{schedule_path}/slack-user-group", {"slack_user_group": ""})
    assert "No Slack user group is kept." in text_of(stopped)
    assert "No Slack user group follows this schedule." in text_of(stopped)


def manifest_in(page_html: str, element_id: str) -> dict:
    match = re.search(
        rf'<textarea id="{element_id}" class="code" readonly>(.*?)</textarea>', page_html, re.S
    )
    assert match
    return json.loads(unescape(match.group(1)))


def test_the_app_token_turns_socket_mode_on_and_the_socket_manifest_has_no_urls(
    pages: Pages, runtime: Runtime
) -> None:
    page = pages.get("/settings/integrations/slack")
    http = manifest_in(page.text, "manifest")
    socket = manifest_in(page.text, "socket_manifest")
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    assert socket["settings"]["interactivity"] == {"is_enabled": True}
    assert "url" not in socket["features"]["slash_commands"][0]
    assert "redirect_urls" not in socket["oauth_config"]
    assert {"im:write", "im:history", "usergroups:read", "usergroups:write"} <= set(
        socket["oauth_config"]["scopes"]["bot"]
    )
    refused = pages.submit("/settings/integrations/slack/app", {"app_token": "xoxb-123-456"})
    assert refused.status_code == 422
    assert "starts with xapp-" in text_of(refused)
    token = "xapp-1-A0WATCHKEEP-1-" + "f" * 32
    saved = pages.submit("/settings/integrations/slack/app", {"app_token": token})
    assert token not in saved.text
    assert "Set (••••ffff): Slack's requests come over Socket Mode." in text_of(saved)
    assert "Socket Mode: connecting…" in text_of(saved)
    pages.submit("/settings/integrations/slack/app", {"socket_mode_off": "on"})
    with runtime.db.read() as db:
        assert credentials.app_token(db, runtime.secrets) is None
