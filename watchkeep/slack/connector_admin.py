"""Connectors on the Slack side: checking a token, Test Connection and health.

A connector's token is asked `auth.test` while its team admin waits (as the
organisation's Test Connection does): Slack's exact error when it refuses.
Its health is its own: last error, rate limit, steps waiting on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.connector_models import Connector
from watchkeep.core.errors import InvalidInputError
from watchkeep.runbooks import connectors
from watchkeep.runbooks.models import RunbookRun, RunbookStepRun, RunStatus, StepStatus
from watchkeep.slack import direct, senders
from watchkeep.slack.errors import SlackError, SlackPermanentError


@dataclass(frozen=True)
class ConnectorHealth:
    last_error: str | None
    last_error_at: datetime | None
    last_delivery_at: datetime | None
    rate_limited_until: datetime | None
    waiting_steps: int


def health(session: Session, connector: Connector, now: datetime) -> ConnectorHealth:
    used = [runbook.id for runbook in connectors.users_of(session, connector)]
    waiting = 0
    if used:
        waiting = (
            session.scalar(
                select(func.count())
                .select_from(RunbookStepRun)
                .join(RunbookRun, RunbookRun.id == RunbookStepRun.run_id)
                .where(
                    RunbookRun.runbook_id.in_(used),
                    RunbookRun.status == RunStatus.RUNNING,
                    RunbookStepRun.status.in_([StepStatus.PENDING, StepStatus.RUNNING]),
                )
            )
            or 0
        )
    limited = connector.rate_limited_until
    return ConnectorHealth(
        connector.last_error,
        connector.last_error_at,
        connector.last_delivery_at,
        limited if limited and limited > now else None,
        waiting,
    )


class ConnectorAdmin:
    def __init__(self, calls: direct.DirectCalls) -> None:
        self.calls = calls

    def identify(self, bot_token: str) -> dict[str, Any] | None:
        """auth.test for a token about to be kept: refused with Slack's reason, or None
        when Slack cannot be reached (Test Connection asks again later)."""
        try:
            return self.calls.unpaced(bot_token.strip(), "auth.test")
        except SlackPermanentError as exc:
            raise InvalidInputError("bot_token", f"Slack refused this token: {exc.error}") from exc
        except SlackError:
            return None

    def test(self, connector_id: int, now: datetime) -> dict[str, Any]:
        """Test Connection: auth.test with the connector's own token. `ok` and whose
        token it is (remembered), or Slack's exact error (kept as its last error)."""
        with self.calls.db.read() as session:
            token = senders.token(self.calls.box, connectors.get_connector(session, connector_id))
        try:
            answer = self.calls.unpaced(token, "auth.test")
        except SlackError as exc:
            with self.calls.db.write() as session:
                row = connectors.get_connector(session, connector_id)
                row.last_error, row.last_error_at = f"Slack {exc.method} failed: {exc.error}", now
            return {"ok": False, "error": exc.error, "method": exc.method, "detail": str(exc)}
        with self.calls.db.write() as session:
            connectors.record_identity(connectors.get_connector(session, connector_id), answer)
        return {
            "ok": True,
            "team": answer.get("team"),
            "team_id": answer.get("team_id"),
            "bot_user_id": answer.get("user_id"),
            "url": answer.get("url"),
        }
