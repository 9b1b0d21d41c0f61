"""Slack calls a person waits for: Test Connection, the channel list, a modal, the
first click's `users.info`.

They use the one gateway and the same shared throttle as the outbox, but they
are never queued: a call whose slot is more than a moment away is refused
(`SlackRateLimitedError` with the wait), so a page or a click answers at once
instead of hanging. A 429 pushes every worker back, as it does for the outbox.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from watchkeep.clock import Clock
from watchkeep.crypto import SecretBox
from watchkeep.db.engine import Database
from watchkeep.slack import throttle
from watchkeep.slack.client import SlackGateway
from watchkeep.slack.errors import SlackRateLimitedError
from watchkeep.slack.limits import limited
from watchkeep.slack.models import SlackWorkspace

# An admin may wait this long for a slot (a channel list of several pages); a click may not.
ADMIN_WAIT_SECONDS = 5.0


class DirectCalls:
    def __init__(self, db: Database, gateway: SlackGateway, box: SecretBox, clock: Clock) -> None:
        self.db, self.gateway, self.box, self.clock = db, gateway, box, clock

    def token(self, workspace: SlackWorkspace) -> str:
        return self.box.decrypt(workspace.bot_token_encrypted)

    def unpaced(self, token: str, method: str, **params: Any) -> dict[str, Any]:
        """A method Slack does not rate-limit per workspace (auth.test, oauth.v2.access)."""
        return self.gateway.call(token, method, **params)

    def paced(
        self,
        workspace: SlackWorkspace,
        method: str,
        channel: str | None,
        *,
        max_wait: float = ADMIN_WAIT_SECONDS,
        **params: Any,
    ) -> dict[str, Any]:
        """Wait up to `max_wait` for the call to be allowed, then call; longer waits are
        refused. Nothing is booked while it waits: it asks again when it may go."""
        waited = 0.0
        while (wait := self._take(workspace.id, method, channel)) > 0:
            if waited + wait > max_wait:
                raise SlackRateLimitedError(method, wait)
            time.sleep(wait)
            waited += wait
        if channel is not None:
            params["channel"] = channel
        try:
            return self.gateway.call(self.token(workspace), method, **params)
        except SlackRateLimitedError as exc:
            self._back_off(workspace.id, method, channel, exc.retry_after)
            raise

    async def paced_now(
        self, workspace_id: int, token: str, method: str, **params: Any
    ) -> dict[str, Any]:
        """For a click: call at once if a slot is free, else refuse without waiting."""
        wait = await run_in_threadpool(self._take, workspace_id, method, None)
        if wait > 0:
            raise SlackRateLimitedError(method, wait)
        try:
            return await self.gateway.acall(token, method, **params)
        except SlackRateLimitedError as exc:
            await run_in_threadpool(self._back_off, workspace_id, method, None, exc.retry_after)
            raise

    def _take(self, workspace_id: int, method: str, channel: str | None) -> float:
        if not limited(method):
            return 0.0
        with self.db.write() as session:
            return throttle.take_now(session, workspace_id, method, channel, self.clock.now())

    def _back_off(
        self, workspace_id: int, method: str, channel: str | None, retry_after: float
    ) -> None:
        now = self.clock.now()
        with self.db.write() as session:
            throttle.back_off(session, workspace_id, method, channel, now, retry_after)
            workspace = session.get(SlackWorkspace, workspace_id)
            if workspace is not None:
                workspace.rate_limited_until = now + timedelta(seconds=retry_after)
