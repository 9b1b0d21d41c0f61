"""Records the fake Slack keeps, and their wire shapes (``to_api``).

The ``to_api`` methods produce the objects Slack documents for its Web API
(user, conversation, message, view), trimmed to the fields Watchkeep reads
plus the flags clients commonly branch on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Workspace:
    """One Slack team with our app installed: its bot user and bot token."""

    team_id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str
    app_id: str
    bot_name: str = "watchkeep"
    token: str = ""  # the first bot token issued; more can be issued per workspace
    active: bool = True  # False answers account_inactive
    # User groups are a paid feature: a "free" workspace answers paid_teams_only.
    plan: str = "pro"
    # The app's Home tab (App Home → Show Tabs): views.publish answers not_enabled without it.
    home_tab: bool = True

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"


@dataclass
class Token:
    value: str
    team_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class AppToken:
    """An app-level token (``xapp-…``): it belongs to the app, not to a workspace."""

    value: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str = ""
    email: str | None = None
    display_name: str = ""
    deleted: bool = False
    is_bot: bool = False
    tz: str = "Europe/London"

    def to_api(self, *, with_email: bool = True) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "team": self.team_id,
        }
        # Slack only shows the address to tokens holding users:read.email.
        if with_email and self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": profile,
        }


@dataclass
class Channel:
    id: str
    team_id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False
    is_general: bool = False
    members: list[str] = field(default_factory=list)
    topic: str = ""
    purpose: str = ""

    def to_api(self, viewer: str, *, num_members: bool = False) -> dict[str, Any]:
        if self.is_im:
            other = next((m for m in self.members if m != viewer), viewer)
            return {"id": self.id, "created": self.created, "is_im": True, "user": other}
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "creator": self.creator,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": viewer in self.members,
            "context_team_id": self.team_id,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if num_members:
            data["num_members"] = len(self.members)
        return data


@dataclass
class Message:
    channel: str
    ts: str
    team: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    edited: dict[str, str] | None = None
    # Earlier versions, oldest first, so tests can assert on how a message evolved.
    history: list[dict[str, Any]] = field(default_factory=list)
    reply_count: int = 0
    # chat.postMessage's `metadata` ({event_type, event_payload}), returned by
    # conversations.history only with include_all_metadata.
    metadata: dict[str, Any] | None = None
    # Channels it is pinned in, and its reactions: emoji name → users, in order.
    pinned_to: list[str] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, *, with_metadata: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if with_metadata and self.metadata is not None:
            data["metadata"] = self.metadata
        for key in ("subtype", "user", "bot_id", "app_id", "thread_ts", "edited"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        data["team"] = self.team
        if self.blocks is not None:
            data["blocks"] = self.blocks
        if self.attachments is not None:
            data["attachments"] = self.attachments
        if self.bot_id:
            data["bot_profile"] = {
                "id": self.bot_id,
                "app_id": self.app_id,
                "deleted": False,
                "team_id": self.team,
            }
        if self.reply_count:
            data["reply_count"] = self.reply_count
        if self.pinned_to:
            data["pinned_to"] = list(self.pinned_to)
        if self.reactions:
            data["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
            ]
        return data


@dataclass
class UserGroup:
    """A user group (``@handle``); disabled groups keep their members but mention nobody."""

    id: str
    team_id: str
    name: str
    handle: str
    description: str = ""
    users: list[str] = field(default_factory=list)
    disabled: bool = False
    created_by: str = ""
    # Every member list it was given, oldest first, so tests can follow handoffs.
    history: list[list[str]] = field(default_factory=list)

    def to_api(self, *, with_users: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name,
            "description": self.description,
            "handle": self.handle,
            "is_external": False,
            "date_delete": 1 if self.disabled else 0,
            "created_by": self.created_by,
            "user_count": len(self.users),
        }
        if with_users:
            data["users"] = list(self.users)
        return data


@dataclass
class Ephemeral:
    channel: str
    user: str
    message_ts: str
    text: str
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None


@dataclass
class View:
    id: str
    team_id: str
    user_id: str | None
    view: dict[str, Any]  # the view payload as the app sent it
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str = ""
    # What the user last saw after submitting: the app's inline errors, or the modal gone.
    errors: dict[str, str] = field(default_factory=dict)
    closed: bool = False

    def to_api(
        self, app_id: str, bot_id: str, values: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        v = self.view
        return {
            "id": self.id,
            "team_id": self.team_id,
            "type": v.get("type", "modal"),
            "title": v.get("title"),
            "submit": v.get("submit"),
            "close": v.get("close"),
            "blocks": v.get("blocks", []),
            "private_metadata": v.get("private_metadata", ""),
            "callback_id": v.get("callback_id", ""),
            "external_id": self.external_id,
            "state": {"values": values or {}},
            "hash": self.hash,
            "clear_on_close": bool(v.get("clear_on_close", False)),
            "notify_on_close": bool(v.get("notify_on_close", False)),
            "root_view_id": self.root_view_id,
            "previous_view_id": self.previous_view_id,
            "app_id": app_id,
            "bot_id": bot_id,
        }


@dataclass
class Trigger:
    value: str
    team_id: str
    user_id: str | None
    issued_at: float
    view_id: str | None = None  # set when the interaction came from inside a modal
    used: bool = False


@dataclass
class OAuthCode:
    value: str
    team_id: str
    scopes: frozenset[str]
    authed_user_id: str | None
    redirect_uri: str | None
    used: bool = False


@dataclass
class Call:
    """One request the fake answered, as tests want to read it back."""

    method: str
    http_method: str
    params: dict[str, Any]
    token: str | None
    team_id: str | None
    status: int
    response: Any  # the decoded body: a dict for JSON answers, a str otherwise
    at: float

    @property
    def ok(self) -> bool:
        return isinstance(self.response, dict) and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error") if isinstance(self.response, dict) else None
