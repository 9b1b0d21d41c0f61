"""One way in for every request from Slack, whichever transport carried it.

The HTTP endpoints (`routes`) check the signature, Socket Mode (`socket_mode`)
trusts the WebSocket the app opened with its app-level token; both then hand the
payload to `SlackDispatch.dispatch`, which does everything else exactly once:
check the payload's shape, refuse an unknown workspace and a second delivery,
then run Bolt (interactivity) or the slash commands. The kinds are Socket
Mode's envelope types; another kind (the Events API, `events_api`) plugs in
with `register`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.concurrency import run_in_threadpool

from watchkeep.slack.commands import replies
from watchkeep.slack.commands.subcommands import SlashCommands
from watchkeep.slack.interactive import replay
from watchkeep.slack.interactive.bolt_app import LISTENER_ERROR
from watchkeep.slack.interactive.interactions import Interactions

log = logging.getLogger(__name__)

INTERACTIVE, SLASH_COMMANDS, EVENTS_API = "interactive", "slash_commands", "events_api"
INTERACTIVE_TYPES = {
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
}
NOT_CONNECTED = "This Slack workspace is not connected to Watchkeep."
JSON = "application/json"

# Whether this is the first delivery of the request (recording it if so).
FirstDelivery = Callable[[], Awaitable[bool]]


@dataclass
class Answer:
    """What Slack gets back: an HTTP response, or a Socket Mode ack's payload."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON
    # A listener's failure, kept so a transport can tell a lost database connection.
    failure: BaseException | None = None

    @classmethod
    def of_json(cls, data: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(data).encode())

    def payload(self) -> dict[str, Any] | None:
        """The ack payload Socket Mode carries: the JSON body, if any."""
        if self.status != 200 or not self.body.strip() or self.content_type != JSON:
            return None
        data = json.loads(self.body)
        return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Kind:
    """How one kind of request is checked, attributed, applied and refused."""

    team_of: Callable[[dict[str, Any]], str | None]  # None: not shaped like one
    handle: Callable[[dict[str, Any]], Awaitable[Answer]]
    refuse: Callable[[dict[str, Any], str], Awaitable[Answer]]
    malformed: str


@dataclass
class SlackDispatch:
    bolt: AsyncApp
    interactions: Interactions
    commands: SlashCommands
    kinds: dict[str, Kind] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.register(
            INTERACTIVE,
            Kind(_interaction_team, self._interaction, self._refuse_interaction, "interaction"),
        )
        self.register(
            SLASH_COMMANDS,
            Kind(_command_team, self._command, self._refuse_command, "slash command"),
        )

    def register(self, kind: str, handling: Kind) -> None:
        self.kinds[kind] = handling

    async def dispatch(self, kind: str, payload: Any, first_delivery: FirstDelivery) -> Answer:
        handling = self.kinds.get(kind)
        team_id = handling.team_of(payload) if handling and isinstance(payload, dict) else None
        if handling is None or team_id is None:
            what = handling.malformed if handling else kind
            return Answer.of_json({"detail": f"not a Slack {what} payload"}, status=400)
        refusal = await self._refusal(team_id, first_delivery)
        if refusal is not None:
            return await handling.refuse(payload, refusal)
        return await handling.handle(payload)

    async def _refusal(self, team_id: str, first_delivery: FirstDelivery) -> str | None:
        """Why the request must not be applied, or None. A request from an unknown
        workspace learns nothing else: not even whether it is a replay."""
        if await run_in_threadpool(self.interactions.directory.find, team_id) is None:
            return NOT_CONNECTED
        if not await first_delivery():
            return replay.ALREADY_HANDLED
        return None

    async def _interaction(self, payload: dict[str, Any]) -> Answer:
        request = AsyncBoltRequest(body=payload, mode="socket_mode")
        answer = await self.bolt.async_dispatch(request)
        content_type = (answer.headers.get("content-type") or [JSON])[0]
        return Answer(
            answer.status,
            (answer.body or "").encode(),
            content_type.split(";")[0],
            request.context.get(LISTENER_ERROR),
        )

    async def _refuse_interaction(self, payload: dict[str, Any], refusal: str) -> Answer:
        # Slack shows nothing of an answer to a click: the user is told privately.
        await self.interactions.tell(payload, refusal)
        return Answer()

    async def _command(self, form: dict[str, Any]) -> Answer:
        return Answer.of_json(await self.commands.answer(form))

    async def _refuse_command(self, form: dict[str, Any], refusal: str) -> Answer:
        return Answer.of_json(replies.ephemeral(refusal))


def _interaction_team(payload: dict[str, Any]) -> str | None:
    if payload.get("type") not in INTERACTIVE_TYPES:
        return None
    user, team = payload.get("user"), payload.get("team") or {}
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return None
    if not isinstance(team, dict):
        return None
    team_id = team.get("id") or user.get("team_id")
    return team_id if isinstance(team_id, str) else None


def _command_team(form: dict[str, Any]) -> str | None:
    if not all(isinstance(form.get(f), str) and form[f] for f in ("command", "team_id", "user_id")):
        return None
    return form["team_id"]
