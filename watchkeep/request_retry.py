"""Requests that lost their database connection before anything was applied run once more.

When every backend of a PostgreSQL server is terminated (a failover, a restart), a
request in the middle of its transaction fails although nothing it did was
applied; a click from Slack would be answered 500 and lost. This middleware keeps
the request's body and, when the request failed that way, runs it once again on a
new connection. It does so only when nothing may have happened yet: no COMMIT was
sent (a connection lost during one is CommitOutcomeUnknownError, never retried),
nothing outside the database was done (`db.engine.note_effect`), and no answer
was begun. So a retry can never apply anything twice.
"""

from __future__ import annotations

import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watchkeep.db import engine

log = logging.getLogger(__name__)


class RetryLostConnection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read through the app's body limit: too large a body still answers 413.
        body, disconnected = await _read_body(receive)
        # One id for every run of this request, so a run can tell its own earlier work
        # (a Slack request's receipt) from another request's.
        # (`request_log` makes it, when it runs outside this middleware.)
        state = scope.get("state") or {}
        request_id = state.get("request_id") or uuid.uuid4().hex
        scope = {**scope, "state": {**state, "request_id": request_id}}
        for attempt in (1, 2):
            answered = False
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                if disconnected:
                    return {"type": "http.disconnect"}
                return await receive()

            async def answer(message: Message) -> None:
                nonlocal answered
                answered = answered or message["type"] == "http.response.start"
                await send(message)

            # Each run gets its own copy of the scope, so no state of the first leaks.
            fresh = {**scope, "state": dict(scope.get("state") or {})}
            with engine.ledger() as done:
                try:
                    await self.app(fresh, replay, answer)
                    return
                except Exception as exc:
                    nothing_happened = not (answered or done.effects or disconnected)
                    if attempt == 2 or not nothing_happened:
                        raise
                    if not engine.lost_connection_before_commit(exc):
                        raise
                    log.warning(
                        "%s %s lost its database connection before committing; running it again",
                        scope.get("method"),
                        scope.get("path"),
                    )


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and whether the client went away while it was read."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False
