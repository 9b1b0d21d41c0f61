"""How an outbox job's Slack call waits its turn: the job's side of `throttle`.

Before each call a job asks for its turn; told to wait, its row sleeps in the
outbox until then and keeps its place in the lane (its payload says so:
`WAITING`). `job()` wraps a handler so that a job that ends without making its
call leaves its place at once, and the calls it held up move up. Channel names
learn their ids from Slack's answers, so a post to `#ops` and its thread
replies in `C…` count against one channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchkeep.core.models import Incident, Urgency
from watchkeep.slack import throttle
from watchkeep.slack.limits import limited
from watchkeep.slack.throttle import LaneOwner
from watchkeep.worker.handlers import Handler, JobContext, RetryLater

# In a job's payload once it has a place in a lane: when it ends, it leaves.
WAITING = "pacing_waiting"
# In a job's payload when its place is not its incident's urgency (a storm's digest).
RANK = "pacing_rank"

URGENCY_RANK = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}


class JobPacing:
    def __init__(self) -> None:
        # Channel names whose id this process has already taught the lanes.
        self._channel_ids: dict[tuple[LaneOwner, str], str] = {}
        # Running jobs whose last paced call went (so they wait in no lane), by job id.
        self._went: dict[int, bool] = {}

    def job(self, handler: Handler) -> Handler:
        """`handler`, leaving no place behind in a lane when its job ends."""

        def run(context: JobContext) -> None:
            try:
                handler(context)
            except RetryLater:
                raise
            except BaseException:
                self._leave_lanes(context)
                raise
            finally:
                went = self._went.pop(context.job.id, False)
            if not went:
                self._leave_lanes(context)

        return run

    def wait_turn(
        self,
        context: JobContext,
        workspace_id: LaneOwner,
        method: str,
        channel: str | None,
        now: datetime,
    ) -> None:
        """Go now if it is this job's turn; else wait in the lane until it comes."""
        if not limited(method):
            return
        payload = context.job.payload
        with context.db.write() as session:
            turn = throttle.admit(
                session,
                workspace_id,
                method,
                channel,
                job_id=context.job.id,
                urgency=urgency_rank(session, payload),
                now=now,
            )
        # Its call went: its place in the lane is gone with it, nothing to leave at the end.
        self._went[context.job.id] = turn.go
        if not turn.go:
            raise RetryLater(
                f"paced: {method} in {channel or 'the workspace'}, its turn at {turn.at:%H:%M:%S}",
                after_seconds=(turn.at - now).total_seconds(),
                payload={**payload, WAITING: True},
            )

    def learn_channel(
        self,
        context: JobContext,
        workspace_id: LaneOwner,
        method: str,
        channel: str | None,
        answered: str | None,
    ) -> None:
        """A call addressed to `#name` learns the channel's id, once per process."""
        if not channel or not answered or channel == answered:
            return
        if self._channel_ids.get((workspace_id, channel)) == answered:
            return
        with context.db.write() as session:
            throttle.learn_channel(
                session, workspace_id, method, channel, answered, context.clock.now()
            )
        self._channel_ids[(workspace_id, channel)] = answered

    @staticmethod
    def _leave_lanes(context: JobContext) -> None:
        if context.job.payload.get(WAITING):
            with context.db.write() as session:
                throttle.forget(session, context.job.id, context.clock.now())


def urgency_rank(session: Session, payload: dict[str, Any]) -> int:
    """A job's place among others: its own rank, else its incident's urgency; MEDIUM
    when it has none."""
    if isinstance(payload.get(RANK), int):
        return payload[RANK]
    incident_id = payload.get("incident_id")
    incident = session.get(Incident, incident_id) if isinstance(incident_id, int) else None
    return URGENCY_RANK[incident.urgency if incident is not None else Urgency.MEDIUM]
