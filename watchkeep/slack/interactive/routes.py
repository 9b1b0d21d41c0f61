"""The endpoints Slack calls: `POST /api/slack/actions` (verify, sanity-check the
payload, refuse replays and unknown workspaces, hand it to Bolt) and the slash
command paths (the same checks, then the subcommands)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.concurrency import run_in_threadpool

from watchkeep.db import engine
from watchkeep.slack.commands import replies
from watchkeep.slack.commands.subcommands import SlashCommands
from watchkeep.slack.interactive import replay
from watchkeep.slack.interactive.bolt_app import LISTENER_ERROR
from watchkeep.slack.interactive.interactions import Interactions
from watchkeep.slack.interactive.verify import RequestVerifier

INTERACTIVE_TYPES = {
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
}


def interactive_payload(body: bytes) -> dict[str, Any] | None:
    """The JSON payload of a form body, if it is shaped like one Slack sends."""
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        payload = json.loads(form["payload"])
    except (UnicodeDecodeError, KeyError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("type") not in INTERACTIVE_TYPES:
        return None
    user, team = payload.get("user"), payload.get("team") or {}
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return None
    if not isinstance(team, dict) or not isinstance(team.get("id") or user.get("team_id"), str):
        return None
    return payload


def command_form(body: bytes) -> dict[str, str] | None:
    """A slash command's form fields, or None if it is not one."""
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return None
    if not all(form.get(field) for field in ("command", "team_id", "user_id")):
        return None
    return form


NOT_CONNECTED = "This Slack workspace is not connected to Watchkeep."


@dataclass
class SlackEndpoints:
    """What every request from Slack passes before a listener sees it: a valid
    signature, a payload of Slack's shape, its first delivery, a connected workspace."""

    bolt: AsyncApp
    verifier: RequestVerifier
    interactions: Interactions
    commands: SlashCommands

    async def actions(self, request: Request) -> Response:
        body = await request.body()
        if not self.verifier.is_valid(body, request.headers):
            return JSONResponse({"detail": "invalid Slack signature"}, status_code=401)
        payload = interactive_payload(body)
        if payload is None:
            return JSONResponse({"detail": "not a Slack interaction payload"}, status_code=400)
        refusal = await self._refusal(body, request, _team_of(payload))
        if refusal is not None:
            # Slack shows nothing of an answer to a click: the user is told privately.
            await self.interactions.tell(payload, refusal)
            return Response(status_code=200)
        bolt_request = AsyncBoltRequest(body=body.decode("utf-8"), headers=dict(request.headers))
        answer = await self.bolt.async_dispatch(bolt_request)
        failure = bolt_request.context.get(LISTENER_ERROR)
        if failure is not None and engine.lost_connection_before_commit(failure):
            raise failure  # `watchkeep.request_retry` runs the click again; nothing was applied
        headers = {k: v[0] for k, v in answer.headers.items() if k.lower() != "content-length"}
        return Response(content=answer.body, status_code=answer.status, headers=headers)

    async def slash_command(self, request: Request) -> Response:
        body = await request.body()
        if not self.verifier.is_valid(body, request.headers):
            return JSONResponse({"detail": "invalid Slack signature"}, status_code=401)
        form = command_form(body)
        if form is None:
            return JSONResponse({"detail": "not a Slack slash command"}, status_code=400)
        refusal = await self._refusal(body, request, form["team_id"])
        if refusal is not None:
            return JSONResponse(replies.ephemeral(refusal))
        return JSONResponse(await self.commands.answer(form))

    async def _refusal(self, body: bytes, request: Request, team_id: str) -> str | None:
        """Why this request must not be applied, or None. A request from an unknown
        workspace learns nothing else: not even whether it is a replay."""
        if await run_in_threadpool(self.interactions.directory.find, team_id) is None:
            return NOT_CONNECTED
        runtime = self.interactions.runtime
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        if not await run_in_threadpool(
            replay.first_delivery,
            runtime.db,
            body,
            request.headers,
            request_id,
            runtime.clock.now(),
        ):
            return replay.ALREADY_HANDLED
        return None

    def router(self) -> APIRouter:
        router = APIRouter(tags=["slack"], include_in_schema=False)
        router.add_api_route("/api/slack/actions", self.actions, methods=["POST"])
        # Both paths: Slack apps configured against either keep working.
        for path in ("/api/slack/commands", "/api/integrations/slack/commands"):
            router.add_api_route(path, self.slash_command, methods=["POST"])
        return router


def _team_of(payload: dict[str, Any]) -> str:
    return (payload.get("team") or {}).get("id") or payload["user"].get("team_id")
