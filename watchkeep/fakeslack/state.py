"""Everything the fake Slack knows, and the helpers tests drive it with.

``SlackState`` owns workspaces, tokens, users, channels, messages, views,
trigger ids, OAuth codes and the log of every call. The HTTP layer and the
method handlers mutate it under ``state.lock``; tests read it through the
story-style helpers of ``Queries`` (``messages_in``, ``thread``, ``calls``,
``wait_for``).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Iterable

from .clock import Clock, SystemClock
from .faults import Faults
from .hooks import ResponseUrls
from .models import (
    AppToken,
    Call,
    Channel,
    Ephemeral,
    Message,
    OAuthCode,
    Token,
    Trigger,
    User,
    UserGroup,
    View,
    Workspace,
)
from .queries import ChannelRef, Queries, TeamRef
from .ratelimit import RateLimitConfig, RateLimiter
from .sockets import SocketHub

# What a Watchkeep install asks for. chat:write.public is deliberately absent:
# public channels default to the bot being a member instead (see add_channel).
DEFAULT_SCOPES = frozenset(
    [
        "chat:write",
        "commands",
        "channels:read",
        "groups:read",
        "channels:manage",
        "groups:write",
        "channels:join",
        "channels:history",
        "groups:history",
        "users:read",
        "users:read.email",
        "im:write",
        "im:history",
        "usergroups:read",
        "usergroups:write",
        "pins:read",
        "reactions:read",
    ]
)
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class SlackState(Queries):
    """The fake's world. Thread-safe: every read or write holds ``lock``."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        rate_limits: RateLimitConfig | None = None,
        client_id: str = "1111111111.2222222222",
        client_secret: str = "fake-client-secret",  # noqa: S107 - a fake's demo secret
        signing_secret: str = "fake-signing-secret",  # noqa: S107 - signs what the fake sends
        app_id: str = "A0WATCHKEEP",
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        self.rate_limits = RateLimiter(self.clock, rate_limits or RateLimitConfig())
        self.faults = Faults()
        self.client_id, self.client_secret, self.app_id = client_id, client_secret, app_id
        # The app's signing secret: what Slack signs every request to the app with.
        self.signing_secret = signing_secret
        self.workspaces: dict[str, Workspace] = {}
        self.tokens: dict[str, Token] = {}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.response_urls = ResponseUrls()
        self.views: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.oauth_codes: dict[str, OAuthCode] = {}
        self.call_log: list[Call] = []
        self.usergroups: dict[str, UserGroup] = {}
        # App-level tokens (xapp-…) and the Socket Mode connections they open.
        self.app_tokens: dict[str, AppToken] = {}
        self.sockets = SocketHub(app_id)
        # Set while the server shuts down so injected hangs end promptly.
        self.closing = threading.Event()
        self._ids = itertools.count(1)
        self._last_ts: dict[str, int] = {}

    # ---- ids and time -------------------------------------------------
    def new_id(self, prefix: str) -> str:
        n, digits = next(self._ids), ""
        while n:
            n, r = divmod(n, 36)
            digits = _B36[r] + digits
        return prefix + digits.rjust(8, "0")

    def next_ts(self, channel_id: str) -> str:
        """A message ts: clock time in microseconds, strictly increasing per channel."""
        micros = max(int(self.clock.now() * 1_000_000), self._last_ts.get(channel_id, 0) + 1)
        self._last_ts[channel_id] = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # ---- setup: workspaces, tokens, users, channels --------------------
    def create_workspace(
        self,
        name: str = "Acme Corp",
        *,
        domain: str | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        bot_name: str = "watchkeep",
    ) -> Workspace:
        """Install the app in a new workspace; ``ws.token`` is its bot token."""
        with self.lock:
            ws = Workspace(
                team_id=self.new_id("T"),
                name=name,
                domain=domain or "".join(c for c in name.lower() if c.isalnum()) or "team",
                bot_user_id=self.new_id("U"),
                bot_id=self.new_id("B"),
                app_id=self.app_id,
                bot_name=bot_name,
            )
            self.workspaces[ws.team_id] = ws
            self.users[ws.bot_user_id] = User(
                ws.bot_user_id, ws.team_id, bot_name, real_name=bot_name, is_bot=True
            )
            ws.token = self.issue_token(ws, scopes)
            return ws

    def issue_token(self, team: TeamRef, scopes: Iterable[str] | None = None) -> str:
        with self.lock:
            ws = self.workspace(team)
            value = f"xoxb-{ws.team_id[1:]}-{ws.bot_user_id[1:]}-{secrets.token_hex(12)}"
            granted = frozenset(DEFAULT_SCOPES if scopes is None else scopes)
            self.tokens[value] = Token(value, ws.team_id, granted)
            return value

    def issue_app_token(self, scopes: Iterable[str] = ("connections:write",)) -> str:
        """An app-level token, as "Basic Information → App-Level Tokens" makes one."""
        with self.lock:
            value = f"xapp-1-{self.app_id}-{next(self._ids)}-{secrets.token_hex(16)}"
            self.app_tokens[value] = AppToken(value, frozenset(scopes))
            return value

    def revoke_token(self, token: str) -> None:
        """Later calls with it answer ``token_revoked`` (as after an uninstall)."""
        with self.lock:
            (self.tokens.get(token) or self.app_tokens[token]).revoked = True

    def add_user(
        self,
        team: TeamRef,
        name: str,
        *,
        email: str | None = None,
        real_name: str | None = None,
        display_name: str = "",
        deleted: bool = False,
    ) -> User:
        with self.lock:
            ws = self.workspace(team)
            user = User(
                self.new_id("U"),
                ws.team_id,
                name,
                real_name or name.title(),
                email,
                display_name,
                deleted,
            )
            self.users[user.id] = user
            return user

    def add_channel(
        self,
        team: TeamRef,
        name: str,
        *,
        private: bool = False,
        bot_member: bool | None = None,
        members: Iterable[str | User] = (),
        archived: bool = False,
        topic: str = "",
    ) -> Channel:
        """Add a channel. The bot defaults to a member of public channels only.

        Real bots post to public channels they never joined thanks to
        ``chat:write.public``; defaulting public channels to membership models
        that, and ``bot_member=False`` gives a channel that answers
        ``not_in_channel``.
        """
        with self.lock:
            ws = self.workspace(team)
            ids = [m.id if isinstance(m, User) else m for m in members]
            if (not private) if bot_member is None else bot_member:
                ids.append(ws.bot_user_id)
            ch = Channel(
                self.new_id("C"),
                ws.team_id,
                name,
                int(self.clock.now()),
                ids[0] if ids else ws.bot_user_id,
                is_private=private,
                is_archived=archived,
                is_general=name == "general",
                members=list(dict.fromkeys(ids)),
                topic=topic,
            )
            self.channels[ch.id] = ch
            self.messages[ch.id] = []
            return ch

    def add_channels(
        self, team: TeamRef, count: int, *, prefix: str = "channel", private: bool = False
    ) -> list[Channel]:
        """Many channels at once, named ``prefix-001`` …, e.g. for pagination."""
        return [
            self.add_channel(team, f"{prefix}-{i:03d}", private=private)
            for i in range(1, count + 1)
        ]

    def add_members(self, channel: ChannelRef, *users: str | User) -> None:
        with self.lock:
            ch = self.channel(channel)
            for u in users:
                uid = u.id if isinstance(u, User) else u
                if uid not in ch.members:
                    ch.members.append(uid)

    def set_bot_member(self, channel: ChannelRef, member: bool) -> None:
        with self.lock:
            ch = self.channel(channel)
            bot = self.workspaces[ch.team_id].bot_user_id
            if member and bot not in ch.members:
                ch.members.append(bot)
            elif not member and bot in ch.members:
                ch.members.remove(bot)

    def post_as_user(
        self, channel: ChannelRef, user: str | User, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """A message a human wrote (the bot cannot ``chat.update`` it)."""
        with self.lock:
            ch = self.channel(channel)
            uid = user.id if isinstance(user, User) else user
            msg = Message(
                ch.id, self.next_ts(ch.id), ch.team_id, text, user=uid, thread_ts=thread_ts
            )
            self.store_message(msg)
            return msg

    def store_message(self, msg: Message) -> None:
        self.messages.setdefault(msg.channel, []).append(msg)
        if msg.is_reply:
            parent = self.find_message(msg.channel, msg.thread_ts or "")
            if parent is not None:
                parent.thread_ts = parent.ts
                parent.reply_count += 1

    # ---- setup: interactivity and OAuth --------------------------------
    def issue_trigger_id(
        self, team: TeamRef, user: str | User | None = None, *, view_id: str | None = None
    ) -> str:
        """A trigger id as an interaction payload would carry; valid for 3 s, once."""
        with self.lock:
            ws = self.workspace(team)
            value = f"{next(self._ids)}.{ws.team_id[1:]}.{secrets.token_hex(16)}"
            uid = user.id if isinstance(user, User) else user
            self.triggers[value] = Trigger(value, ws.team_id, uid, self.clock.now(), view_id)
            return value

    def create_oauth_code(
        self,
        team: TeamRef,
        *,
        scopes: Iterable[str] | None = None,
        authed_user: str | User | None = None,
        redirect_uri: str | None = None,
    ) -> str:
        """A one-time code as Slack appends to the OAuth redirect."""
        with self.lock:
            ws = self.workspace(team)
            value = f"{next(self._ids)}.{secrets.token_hex(20)}"
            uid = authed_user.id if isinstance(authed_user, User) else authed_user
            granted = frozenset(DEFAULT_SCOPES if scopes is None else scopes)
            self.oauth_codes[value] = OAuthCode(value, ws.team_id, granted, uid, redirect_uri)
            return value
