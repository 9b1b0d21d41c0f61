"""The app manifest subscribes to exactly the events Watchkeep handles, at its URL."""

from __future__ import annotations

from pathlib import Path

from watchkeep.config import Settings
from watchkeep.web.slack_manifest import manifest

EVENTS = ["app_home_opened", "member_joined_channel", "pin_added", "reaction_added"]


def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, base_url="https://watchkeep.example.com/")


def test_events_are_subscribed_with_their_scopes(tmp_path: Path) -> None:
    found = manifest(settings(tmp_path))
    assert found["settings"]["event_subscriptions"] == {
        "request_url": "https://watchkeep.example.com/api/slack/events",
        "bot_events": EVENTS,
    }
    assert found["features"]["app_home"]["home_tab_enabled"] is True
    scopes = found["oauth_config"]["scopes"]["bot"]
    assert {"pins:read", "reactions:read", "channels:history", "groups:history"} <= set(scopes)
    assert len(scopes) == len(set(scopes))


def test_socket_mode_takes_the_events_over_its_websocket(tmp_path: Path) -> None:
    found = manifest(settings(tmp_path), socket_mode=True)
    assert found["settings"]["event_subscriptions"] == {"bot_events": EVENTS}
