"""The HTTP endpoints Slack calls: `POST /api/slack/actions` (interactivity), the
slash command paths and `POST /api/slack/events` (the Events API). Each verifies
the signature, reads the body, and hands the payload to the dispatch every
transport shares (`dispatch.SlackDispatch`), with the replay check of a signed
request. The Events API's `url_verification` is answered here, once signed: it
comes while the app's Request URL is being set, before any workspace exists."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from watchkeep.db import engine
from watchkeep.slack.interactive import replay
from watchkeep.slack.interactive.dispatch import (
    EVENTS_API,
    INTERACTIVE,
    SLASH_COMMANDS,
    FirstDelivery,
    SlackDispatch,
)
from watchkeep.slack.interactive.verify import RequestVerifier


def form_fields(body: bytes) -> dict[str, str] | None:
    """A form body's fields (`parse_qsl` first: Bolt misreads some command texts)."""
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return None


def interactive_payload(body: bytes) -> Any:
    """The JSON of an interactivity form's `payload` field, or None."""
    form = form_fields(body) or {}
    try:
        return json.loads(form["payload"])
    except (KeyError, ValueError):
        return None


def json_payload(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


@dataclass
class SlackEndpoints:
    """What only HTTP needs: a valid signature and the raw body for the replay check."""

    dispatch: SlackDispatch
    verifier: RequestVerifier

    async def actions(self, request: Request) -> Response:
        return await self._deliver(request, INTERACTIVE, interactive_payload)

    async def slash_command(self, request: Request) -> Response:
        return await self._deliver(request, SLASH_COMMANDS, form_fields)

    async def events(self, request: Request) -> Response:
        return await self._deliver(request, EVENTS_API, json_payload)

    async def _deliver(self, request: Request, kind: str, parse: Any) -> Response:
        body = await request.body()
        if not await self.verifier.is_valid(body, request.headers):
            return JSONResponse({"detail": "invalid Slack signature"}, status_code=401)
        payload = parse(body)
        if (
            kind == EVENTS_API
            and isinstance(payload, dict)
            and payload.get("type") == ("url_verification")
        ):
            return JSONResponse({"challenge": str(payload.get("challenge", ""))})
        answer = await self.dispatch.dispatch(kind, payload, self._first(body, request))
        if answer.failure is not None and engine.lost_connection_before_commit(answer.failure):
            raise answer.failure  # `watchkeep.request_retry` runs it again; nothing was applied
        return Response(answer.body, answer.status, media_type=answer.content_type)

    def _first(self, body: bytes, request: Request) -> FirstDelivery:
        runtime = self.dispatch.interactions.runtime
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex

        async def first_delivery() -> bool:
            return await replay.first_delivery_async(
                runtime.db, body, request.headers, request_id, runtime.clock.now()
            )

        return first_delivery

    def router(self) -> APIRouter:
        router = APIRouter(tags=["slack"], include_in_schema=False)
        router.add_api_route("/api/slack/actions", self.actions, methods=["POST"])
        router.add_api_route("/api/slack/events", self.events, methods=["POST"])
        # Both paths: Slack apps configured against either keep working.
        for path in ("/api/slack/commands", "/api/integrations/slack/commands"):
            router.add_api_route(path, self.slash_command, methods=["POST"])
        return router
