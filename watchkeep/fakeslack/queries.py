"""Reading the fake's state back: lookups and story-style test helpers.

Mixed into ``SlackState``; split out only to keep each file small.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from .models import Call, Channel, Message, User, View, Workspace

T = TypeVar("T")
TeamRef = Workspace | str
ChannelRef = Channel | str


class Queries:
    """Lookups by id or name, and the helpers tests read like a story."""

    lock: threading.RLock
    workspaces: dict[str, Workspace]
    channels: dict[str, Channel]
    messages: dict[str, list[Message]]
    call_log: list[Call]
    views: dict[str, View]

    # ---- lookups --------------------------------------------------------
    def workspace(self, team: TeamRef) -> Workspace:
        with self.lock:
            if isinstance(team, Workspace):
                return team
            if team in self.workspaces:
                return self.workspaces[team]
            for ws in self.workspaces.values():
                if team in (ws.name, ws.domain):
                    return ws
            raise KeyError(f"no workspace {team!r}")

    def channel(self, ref: ChannelRef, team: TeamRef | None = None) -> Channel:
        """A channel by object, id, ``#name`` or name (pass ``team`` if names clash)."""
        with self.lock:
            if isinstance(ref, Channel):
                return ref
            if ref in self.channels:
                return self.channels[ref]
            team_id = self.workspace(team).team_id if team is not None else None
            found = [
                c
                for c in self.channels.values()
                if c.name == ref.lstrip("#") and team_id in (None, c.team_id)
            ]
            if len(found) != 1:
                raise KeyError(f"{len(found)} channels match {ref!r}; pass team=")
            return found[0]

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel_id, []) if m.ts == ts), None)

    # ---- reading back, for tests ----------------------------------------
    def messages_in(
        self, channel: ChannelRef, *, team: TeamRef | None = None, replies: bool = False
    ) -> list[Message]:
        """Messages in a channel, oldest first; thread replies only if ``replies``."""
        with self.lock:
            msgs = self.messages.get(self.channel(channel, team).id, [])
            return [m for m in msgs if replies or not m.is_reply or m.subtype == "thread_broadcast"]

    def dm_messages(self, user: str | User) -> list[Message]:
        """What the app sent ``user`` in their DM with the bot, oldest first."""
        with self.lock:
            uid = user.id if isinstance(user, User) else user
            found = [c for c in self.channels.values() if c.is_im and uid in c.members]
            return [m for c in found for m in self.messages.get(c.id, [])]

    def thread(self, channel: ChannelRef, ts: str, *, team: TeamRef | None = None) -> list[Message]:
        """The parent message then its replies, like ``conversations.replies``."""
        with self.lock:
            msgs = self.messages.get(self.channel(channel, team).id, [])
            return [m for m in msgs if m.ts == ts or m.thread_ts == ts]

    def message(self, channel: ChannelRef, ts: str, *, team: TeamRef | None = None) -> Message:
        with self.lock:
            msg = self.find_message(self.channel(channel, team).id, ts)
            if msg is None:
                raise KeyError(f"no message {ts} in {channel!r}")
            return msg

    def home_view(self, user: str | User) -> View | None:
        """The Home tab the app published for ``user`` (None before any)."""
        uid = user.id if isinstance(user, User) else user
        with self.lock:
            return next(
                (
                    v
                    for v in self.views.values()
                    if v.user_id == uid and v.view.get("type") == "home"
                ),
                None,
            )

    def open_views(self) -> list[View]:
        """Modals still on someone's screen, oldest first."""
        with self.lock:
            return [v for v in self.views.values() if not v.closed]

    def calls(self, method: str | None = None, *, team: TeamRef | None = None) -> list[Call]:
        """Recorded calls, oldest first, optionally of one method / workspace."""
        with self.lock:
            team_id = self.workspace(team).team_id if team is not None else None
            return [
                c
                for c in self.call_log
                if method in (None, c.method) and team_id in (None, c.team_id)
            ]

    def last_call(self, method: str | None = None) -> Call:
        found = self.calls(method)
        if not found:
            raise LookupError(f"no {method or 'API'} call was made")
        return found[-1]

    def clear_calls(self) -> None:
        with self.lock:
            self.call_log.clear()

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Poll ``predicate`` (in real time) until truthy; return its value.

        For work the app delivers in the background. Raises ``TimeoutError``.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)
