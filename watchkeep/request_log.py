"""One log line and one latency sample per request, under a request id.

`RequestLog` is the outermost middleware: it makes the request's id (answered
as `X-Request-ID`, kept in the scope for `request_retry`, bound as the context's
request id so every line logged meanwhile and every outbox row enqueued
carries it), times the request and logs it on `watchkeep.request`. `RouteLabel`
sits innermost and notes which route template matched (`/api/v1/incidents/{incident_id}`),
so metrics are labelled by template, never by raw path.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeep import logs, metrics
from watchkeep.ingest.routes import masked_path

log = logging.getLogger("watchkeep.request")

# Paths no route matched (scanners, typos) share one label: raw paths are unbounded.
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class Observed:
    """What the inner middleware learned, shared with the outer one (the scope is
    copied on the way in, this object is not)."""

    route: str = UNMATCHED


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        observed = Observed()
        state = {**(scope.get("state") or {}), "request_id": request_id, "observed": observed}
        scope = {**scope, "state": state}
        status = 500
        started = time.perf_counter()

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with logs.bound_request_id(request_id):
            try:
                await self.app(scope, receive, answer)
            finally:
                seconds = time.perf_counter() - started
                _record(scope, observed.route, status, seconds)


def _record(scope: Scope, route: str, status: int, seconds: float) -> None:
    method = scope.get("method", "")
    label = method if method in _METHODS else "other"  # a client may send any word
    # Receiver URLs hold integration keys: only their public part is logged.
    path = masked_path(scope.get("path", ""))
    metrics.HTTP_REQUESTS.labels(label, route, str(status)).inc()
    metrics.HTTP_LATENCY.labels(label, route).observe(seconds)
    log.info(
        "%s %s %s %.1fms",
        method,
        path,
        status,
        seconds * 1000,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


class RouteLabel:
    """Innermost: the router fills in the matched route on the scope it is given."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            observed = (scope.get("state") or {}).get("observed")
            template = getattr(scope.get("route"), "path", None) or _plain_route(scope)
            if observed is not None and template:
                observed.route = full_template(template, scope.get("path", ""))


def _plain_route(scope: Scope) -> str | None:
    """The template of a plain Starlette route (the alert receivers), found by its
    endpoint: FastAPI's router names only its own routes on the scope."""
    endpoint = scope.get("endpoint")
    if endpoint is None or "app" not in scope:
        return None
    for route in scope["app"].router.routes:
        if getattr(route, "endpoint", None) is endpoint:
            return getattr(route, "path", None)
    return None


def full_template(template: str, path: str) -> str:
    """The route's template with the prefix of the routers it was included under.

    A route included under a prefix (`/api/v1`) may know only its own part
    (`/incidents/{incident_id}`); the prefix is whatever of the path comes before
    the part the template matched.
    """
    match = _tail(template).search(path)
    return (path[: match.start()] if match else "") + template


@lru_cache(maxsize=1024)
def _tail(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]*\})", template)
    pattern = "".join(
        (".+" if part.endswith(":path}") else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(pattern + "$")
