"""The yardstick for bench/slack_clicks.py: a bare slack_bolt AsyncApp behind FastAPI's
adapter, process_before_response=True, that only verifies and acks a button click.

    python bench/bare_bolt_app.py PORT SIGNING_SECRET
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult


def build(signing_secret: str) -> FastAPI:
    async def authorize(team_id: str | None = None, **_: object) -> AuthorizeResult:
        # No network: the yardstick measures Bolt and HTTP, not Slack.
        return AuthorizeResult(
            enterprise_id=None,
            team_id=team_id,
            bot_token="xoxb-bench",
            bot_user_id="UBOT",
            bot_id="BBOT",
        )

    bolt = AsyncApp(
        signing_secret=signing_secret, authorize=authorize, process_before_response=True
    )

    @bolt.action("incident_acknowledge")
    async def acknowledge(ack) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)
    api = FastAPI()

    @api.post("/api/slack/actions")
    async def actions(request: Request):
        return await handler.handle(request)

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api


if __name__ == "__main__":
    uvicorn.run(build(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
