"""`POST /api/slack/actions`: verify, sanity-check the payload, hand it to Bolt."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from watchkeep.db import engine
from watchkeep.slack.commands.subcommands import SlashCommands
from watchkeep.slack.interactive.bolt_app import LISTENER_ERROR
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


def make_router(bolt: AsyncApp, verifier: RequestVerifier, commands: SlashCommands) -> APIRouter:
    router = APIRouter(tags=["slack"], include_in_schema=False)

    @router.post("/api/slack/actions")
    async def actions(request: Request) -> Response:
        body = await request.body()
        if not verifier.is_valid(body, request.headers):
            return JSONResponse({"detail": "invalid Slack signature"}, status_code=401)
        if interactive_payload(body) is None:
            return JSONResponse({"detail": "not a Slack interaction payload"}, status_code=400)
        bolt_request = AsyncBoltRequest(body=body.decode("utf-8"), headers=dict(request.headers))
        answer = await bolt.async_dispatch(bolt_request)
        failure = bolt_request.context.get(LISTENER_ERROR)
        if failure is not None and engine.lost_connection_before_commit(failure):
            raise failure  # `watchkeep.replay` runs the click again; nothing was applied
        headers = {k: v[0] for k, v in answer.headers.items() if k.lower() != "content-length"}
        return Response(content=answer.body, status_code=answer.status, headers=headers)

    async def slash_command(request: Request) -> Response:
        body = await request.body()
        if not verifier.is_valid(body, request.headers):
            return JSONResponse({"detail": "invalid Slack signature"}, status_code=401)
        form = command_form(body)
        if form is None:
            return JSONResponse({"detail": "not a Slack slash command"}, status_code=400)
        return JSONResponse(await commands.answer(form))

    # Both paths: Slack apps configured against either keep working.
    for path in ("/api/slack/commands", "/api/integrations/slack/commands"):
        router.add_api_route(path, slash_command, methods=["POST"])
    return router
