"""What every method handler gets: the parsed call plus lookups that answer
Slack's usual errors (channel_not_found, not_in_channel, missing_scope...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SlackError
from ..models import Channel, Token, User, Workspace
from ..state import SlackState

Handler = Callable[["Context"], dict[str, Any]]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    handler: Handler
    scope: str | None = None  # needed by the token; None for none
    needs_token: bool = True


REGISTRY: dict[str, MethodSpec] = {}


def method(
    name: str, *, scope: str | None = None, needs_token: bool = True
) -> Callable[[Handler], Handler]:
    """Register a handler for a Web API method."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = MethodSpec(name, handler, scope, needs_token)
        return handler

    return register


@dataclass
class Context:
    state: SlackState
    method: str
    params: dict[str, Any]
    token: Token | None = None
    basic_auth: tuple[str, str] | None = None
    # The token as sent (methods taking an app-level token check it themselves).
    raw_token: str | None = None
    origin: str = ""

    @property
    def ws(self) -> Workspace:
        assert self.token is not None, "method needs a token"
        return self.state.workspaces[self.token.team_id]

    @property
    def bot(self) -> str:
        return self.ws.bot_user_id

    def arg(self, name: str) -> str:
        """A string argument, "" when absent."""
        value = self.params.get(name)
        return "" if value is None else str(value).strip()

    def required(self, name: str) -> str:
        value = self.arg(name)
        if not value:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
            )
        return value

    def has_scope(self, scope: str) -> bool:
        return self.token is not None and scope in self.token.scopes

    def need_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            provided = ",".join(sorted(self.token.scopes)) if self.token else ""
            raise SlackError("missing_scope", needed=scope, provided=provided)

    def channel(self, key: str = "channel") -> Channel:
        """The channel named by argument ``key``, as the bot can see it.

        Accepts an id, ``#name`` or a bare name. Other workspaces' channels,
        and private channels the bot is not in, do not exist for the bot.
        """
        ref = self.arg(key)
        st, team = self.state, self.ws.team_id
        ch = st.channels.get(ref)
        if ch is None and ref:
            name = ref.removeprefix("#")
            ch = next(
                (
                    c
                    for c in st.channels.values()
                    if c.team_id == team and c.name == name and not c.is_im
                ),
                None,
            )
        if ch is None or ch.team_id != team or (ch.is_private and self.bot not in ch.members):
            raise SlackError("channel_not_found")
        return ch

    def member_channel(self, key: str = "channel") -> Channel:
        """A channel the bot must be in (answers not_in_channel otherwise)."""
        ch = self.channel(key)
        if self.bot not in ch.members:
            raise SlackError("not_in_channel")
        return ch

    def user(self, user_id: str) -> User | None:
        """A user of this workspace, or None."""
        user = self.state.users.get(user_id)
        return user if user is not None and user.team_id == self.ws.team_id else None
