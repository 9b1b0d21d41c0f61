"""`response_url`s: the per-interaction webhooks Slack hands an app.

Slack allows five posts to one within thirty minutes. The fake issues them
under `/actions/{id}` on its own host and records every post.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

MAX_POSTS, LIFETIME_SECONDS = 5, 30 * 60


@dataclass
class ResponseUrl:
    id: str
    team_id: str
    issued_at: float
    posts: list[dict[str, Any]] = field(default_factory=list)
    # Where the interaction happened and who acted: where Slack shows the answers.
    channel_id: str | None = None
    user_id: str | None = None


class ResponseUrls:
    def __init__(self) -> None:
        self.by_id: dict[str, ResponseUrl] = {}

    def issue(
        self, team_id: str, now: float, *, channel_id: str | None = None, user_id: str | None = None
    ) -> str:
        hook = ResponseUrl(
            secrets.token_hex(8), team_id, now, channel_id=channel_id, user_id=user_id
        )
        self.by_id[hook.id] = hook
        return hook.id

    def url(
        self,
        slack_url: str,
        team_id: str,
        now: float,
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
    ) -> str:
        """A fresh response_url on the fake served at ``slack_url``."""
        hook = self.issue(team_id, now, channel_id=channel_id, user_id=user_id)
        return f"{slack_url.rstrip('/')}/actions/{hook}"

    def posts(self) -> list[dict[str, Any]]:
        """Every body posted to any response_url, in order."""
        return [post for hook in self.by_id.values() for post in hook.posts]


async def receive(request: Request) -> Response:
    state = request.app.state.slack
    try:
        body = json.loads(await request.body())
    except ValueError:
        return PlainTextResponse("invalid_payload", status_code=400)
    with state.lock:
        hook = state.response_urls.by_id.get(request.path_params["hook"])
        if hook is None or state.clock.now() - hook.issued_at > LIFETIME_SECONDS:
            return PlainTextResponse("expired_url", status_code=404)
        if len(hook.posts) >= MAX_POSTS:
            return PlainTextResponse("used_url", status_code=404)
        hook.posts.append(body)
    return PlainTextResponse("ok")
