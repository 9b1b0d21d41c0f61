"""A lane's state as kept in the database: one `slack_pacing` row, locked while a call
is judged, read as `schedule.LaneState` plus the channel names known to be ids.

`next_at` is the end of a 429 pause; `state` holds the recent calls (for the
window), each channel's bucket and the names learnt from Slack's answers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watchkeep.slack import schedule
from watchkeep.slack.limits import MethodLimits
from watchkeep.slack.models import SlackPacing
from watchkeep.slack.schedule import LaneState


class Lane:
    """A locked `slack_pacing` row, as the schedule's state and the names it knows."""

    def __init__(self, row: SlackPacing, limits: MethodLimits, now: datetime) -> None:
        self.row = row
        raw = row.state or {}
        self.state = LaneState(
            paused_until=row.next_at.timestamp(),
            calls=[(float(t), str(c)) for t, c in raw.get("calls", [])],
            tat={str(c): float(t) for c, t in raw.get("tat", {}).items()},
        )
        self.aliases: dict[str, str] = dict(raw.get("aliases", {}))
        schedule.prune(limits, self.state, now.timestamp())

    @classmethod
    def locked(cls, session: Session, key: str, limits: MethodLimits, now: datetime) -> Lane:
        query = select(SlackPacing).where(SlackPacing.key == key).with_for_update()
        row = session.scalar(query)
        if row is None:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            new = insert(SlackPacing).values(key=key, next_at=now, state=None)
            session.execute(new.on_conflict_do_nothing())
            row = session.scalar(query.execution_options(populate_existing=True))
        assert row is not None
        return cls(row, limits, now)

    def canonical(self, channel: str | None) -> str:
        channel = channel or ""
        return self.aliases.get(channel, channel)

    def save(self) -> None:
        state = self.state
        self.row.next_at = datetime.fromtimestamp(state.paused_until, UTC)
        self.row.state = {
            "calls": [[t, c] for t, c in state.calls],
            "tat": dict(state.tat),
            "aliases": dict(self.aliases),
        }
