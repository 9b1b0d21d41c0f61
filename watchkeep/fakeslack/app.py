"""The ASGI app: ``GET|POST /api/{method}`` answered the way Slack answers.

``/link/`` is the Socket Mode WebSocket (see ``sockets``).

Order of play for a call: outage switch, unknown method, injected fault,
authentication, scope, rate limit, then the method itself. Every call,
whatever its fate, lands in ``state.call_log``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from . import hooks
from .authorize import authorize
from .errors import RateLimited, SlackError
from .methods import REGISTRY, Context, MethodSpec
from .models import Call, Token
from .request import ParsedRequest, parse_request
from .state import SlackState

log = logging.getLogger(__name__)

_HTTP_ERROR_NAMES = {503: "service_unavailable"}


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        if isinstance(self.body, str):
            return Response(self.body, self.status, self.headers, media_type="text/html")
        return JSONResponse(self.body, self.status, self.headers)


def create_app(state: SlackState) -> Starlette:
    """An ASGI app serving the Web API from ``state``.

    The state lives in ``app.state.slack`` and can be swapped between tests;
    each call keeps the state it started with.
    """

    async def api(request: Request) -> Response:
        state: SlackState = request.app.state.slack
        name = request.path_params["method"]
        try:
            parsed = await parse_request(request)
        except SlackError as exc:
            parsed, answer = ParsedRequest(request.method, {}, None, None), Answer(200, exc.body())
        else:
            answer = await _answer(state, name, parsed)
        with state.lock:
            token = state.tokens.get(parsed.token or "")
            state.call_log.append(
                Call(
                    name,
                    parsed.http_method,
                    parsed.params,
                    parsed.token,
                    token.team_id if token else None,
                    answer.status,
                    answer.body,
                    state.clock.now(),
                )
            )
        return answer.response()

    async def link(socket: WebSocket) -> None:
        await socket.app.state.slack.sockets.serve(socket)

    app = Starlette(
        routes=[
            Route("/api/{method}", api, methods=["GET", "POST"]),
            WebSocketRoute("/link/", link),
            Route("/actions/{hook}", hooks.receive, methods=["POST"]),
            Route("/oauth/v2/authorize", authorize, methods=["GET", "POST"]),
        ]
    )
    app.state.slack = state
    return app


async def _answer(state: SlackState, name: str, parsed: ParsedRequest) -> Answer:
    outage = state.faults.outage
    if outage is not None:
        return _http_error(outage.status, outage.body)
    spec = REGISTRY.get(name)
    if spec is None:
        return Answer(200, {"ok": False, "error": "unknown_method", "req_method": name})
    fault = state.faults.take(name)
    if fault is not None:
        if fault.kind == "error":
            return Answer(200, {"ok": False, "error": fault.error})
        if fault.kind == "http":
            return _http_error(fault.status, fault.body)
        if fault.kind == "ratelimit":
            return _ratelimited(fault.retry_after)
        if fault.kind == "late":
            answer = _handle(state, name, spec, parsed)
            await _sleep(state, fault.seconds)
            return answer
        await _sleep(state, fault.seconds)
    return _handle(state, name, spec, parsed)


def _handle(state: SlackState, name: str, spec: MethodSpec, parsed: ParsedRequest) -> Answer:
    with state.lock:
        ctx = Context(
            state,
            name,
            parsed.params,
            basic_auth=parsed.basic_auth,
            raw_token=parsed.token,
            origin=parsed.origin,
        )
        try:
            if spec.needs_token:
                ctx.token = _authenticate(state, parsed.token)
                if spec.scope:
                    ctx.need_scope(spec.scope)
                state.rate_limits.check_method(ctx.ws.team_id, name)
            return Answer(200, spec.handler(ctx))
        except SlackError as exc:
            return Answer(200, exc.body())
        except RateLimited as exc:
            return _ratelimited(exc.retry_after)
        except Exception:
            # A bug in the fake, not a Slack behaviour: answer like Slack's own
            # catastrophes, but log it loudly so a test run shows why.
            log.exception("fake Slack failed on %s", name)
            return Answer(500, {"ok": False, "error": "fatal_error"})


def _authenticate(state: SlackState, value: str | None) -> Token:
    if not value:
        raise SlackError("not_authed")
    token = state.tokens.get(value)
    if token is None:
        raise SlackError("invalid_auth")
    if token.revoked:
        raise SlackError("token_revoked")
    if not state.workspaces[token.team_id].active:
        raise SlackError("account_inactive")
    return token


def _ratelimited(retry_after: int) -> Answer:
    return Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def _http_error(status: int, body: str | None) -> Answer:
    if body is not None:
        return Answer(status, body)
    return Answer(status, {"ok": False, "error": _HTTP_ERROR_NAMES.get(status, "internal_error")})


async def _sleep(state: SlackState, seconds: float) -> None:
    # Sleep in slices so stopping the server does not wait out a long hang.
    deadline = time.monotonic() + seconds
    while not state.closing.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        await asyncio.sleep(min(left, 0.05))
