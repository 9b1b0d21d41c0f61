"""The Slack app this instance needs: bot scopes, and the manifest to paste into
Slack's "Create an app → From a manifest", with this instance's URLs filled in, or
for Socket Mode (no public HTTPS needed: no request URLs; Slack's requests come
over the WebSocket Watchkeep opens with an app-level token)."""

from __future__ import annotations

import json
from typing import Any

from watchkeep.config import Settings
from watchkeep.slack.events.receive import HANDLED

OAUTH_CALLBACK_PATH = "/api/settings/slack-oauth/callback"

# What Watchkeep does in Slack, and the scope each needs: exactly the methods it calls.
BOT_SCOPES = (
    "chat:write",  # incident messages, thread replies, updates, runbook messages
    "chat:write.public",  # post to public channels without being invited first
    "channels:read",  # the channel dropdowns, and runbooks finding a channel by name
    "groups:read",  # ... and the private channels the bot was invited to
    "channels:manage",  # runbooks: create, invite to, set topic/purpose of, archive channels
    "groups:write",  # ... private ones too
    "channels:history",  # find a message already sent after a crash; read a 📌'd message
    "groups:history",  # ... in private channels too
    "users:read",  # who clicked: names for the timeline
    "users:read.email",  # map Slack users to Watchkeep users by email
    "commands",  # slash commands and the create-incident shortcut
    "im:write",  # open the DM that pages a person (conversations.open)
    "im:history",  # ... and find a DM already sent, after a crash
    "usergroups:read",  # find a schedule's on-call user group by its handle
    "usergroups:write",  # create it, and set its members at every handoff
    "pins:read",  # the pin_added event: a pinned message becomes an incident note
    "reactions:read",  # the reaction_added event: so does one given the note emoji (📌)
)


def manifest(settings: Settings, *, socket_mode: bool = False) -> dict[str, Any]:
    url = settings.public_url
    found = {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "Watchkeep",
            "description": "Incident response for SRE teams who live in Slack.",
            "background_color": "#16202e",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": "Watchkeep", "always_online": True},
            "shortcuts": [
                {
                    "name": "Create incident",
                    "type": "global",
                    "callback_id": "create_incident",
                    "description": "Open an incident on a service",
                },
                {
                    "name": "Run runbook",
                    "type": "message",
                    "callback_id": "run_runbook",
                    "description": "Run a manual runbook for this incident",
                },
            ],
            "slash_commands": [
                {
                    "command": "/watchkeep",
                    "url": url("/api/slack/commands"),
                    "description": "List, acknowledge and resolve incidents",
                    "usage_hint": "incidents | ack <n> | resolve <n> | run <runbook> [#n]",
                    "should_escape": False,
                }
            ],
        },
        "oauth_config": {
            "redirect_urls": [url(OAUTH_CALLBACK_PATH)],
            "scopes": {"bot": list(BOT_SCOPES)},
        },
        "settings": {
            # Exactly the events Watchkeep handles (member_joined_channel needs the
            # channels:read / groups:read it already has; app_home_opened needs none).
            "event_subscriptions": {
                "request_url": url("/api/slack/events"),
                "bot_events": sorted(HANDLED),
            },
            "interactivity": {"is_enabled": True, "request_url": url("/api/slack/actions")},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }
    if socket_mode:
        del found["features"]["slash_commands"][0]["url"]
        del found["oauth_config"]["redirect_urls"]
        found["settings"]["interactivity"] = {"is_enabled": True}
        del found["settings"]["event_subscriptions"]["request_url"]
        found["settings"]["socket_mode_enabled"] = True
    return found


def manifest_json(settings: Settings, *, socket_mode: bool = False) -> str:
    return json.dumps(manifest(settings, socket_mode=socket_mode), indent=2, ensure_ascii=False)
