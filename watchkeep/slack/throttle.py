"""Slack's rate limits, declared once and shared by every worker through the database.

Each limit is a sustained rate plus a burst, kept per channel or per workspace,
and enforced with GCRA (the "generic cell rate algorithm"): a key stores the
theoretical time its next call is due; a call may go if that time is no more
than the burst allowance ahead of now. A call that may not go yet is told how
long to wait, and its outbox row sleeps exactly that long. A 429 pushes the
key's time out by Slack's Retry-After, so every worker waits, not just one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watchkeep.slack.models import SlackPacing


@dataclass(frozen=True)
class Limit:
    per_minute: float
    burst: int
    per_channel: bool = False

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=60 / self.per_minute)

    @property
    def tolerance(self) -> timedelta:
        return self.interval * (self.burst - 1)


TIER_2 = Limit(per_minute=20, burst=3)
TIER_3 = Limit(per_minute=50, burst=5)
TIER_4 = Limit(per_minute=100, burst=10)

# What Slack documents per method (its rate-limit tiers and the one message a second a
# channel of chat.postMessage), a little under it so we never meet a 429.
# The workspace-wide cap gets no burst: any burst on top of a sustained rate of
# "300 a minute" lets more than 300 through in some sixty seconds.
LIMITS: dict[str, tuple[Limit, ...]] = {
    "chat.postMessage": (
        Limit(per_minute=57, burst=3, per_channel=True),
        Limit(per_minute=290, burst=1),
    ),
    "chat.update": (TIER_3,),
    "conversations.list": (TIER_2,),
    "conversations.create": (TIER_2,),
    "conversations.archive": (TIER_2,),
    "conversations.setTopic": (TIER_2,),
    "conversations.setPurpose": (TIER_2,),
    "conversations.history": (TIER_3,),
    "conversations.invite": (TIER_3,),
    "users.lookupByEmail": (TIER_3,),
    "conversations.replies": (TIER_3,),
    "users.info": (TIER_4,),
    "views.open": (TIER_4,),
}


def limited(method: str) -> bool:
    """Whether Watchkeep paces `method` (others, such as auth.test, are not rate-limited
    per workspace in a way that matters)."""
    return method in LIMITS


def _keys(workspace_id: int, method: str, channel: str | None) -> list[tuple[str, Limit]]:
    keys = []
    for limit in LIMITS.get(method, ()):
        if limit.per_channel:
            keys.append((f"{workspace_id}:{method}:{channel or '-'}", limit))
        else:
            keys.append((f"{workspace_id}:{method}", limit))
    return keys


def _locked_rows(session: Session, keys: list[str], now: datetime) -> dict[str, SlackPacing]:
    # Always in key order: two workers locking the same keys must not deadlock.
    keys = sorted(keys)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(SlackPacing)
        .values([{"key": key, "next_at": now} for key in keys])
        .on_conflict_do_nothing()
    )
    query = (
        select(SlackPacing)
        .where(SlackPacing.key.in_(keys))
        .order_by(SlackPacing.key)
        .with_for_update()
    )
    return {row.key: row for row in session.scalars(query)}


def reserve(
    session: Session, workspace_id: int, method: str, channel: str | None, now: datetime
) -> datetime:
    """Book the earliest slot for one call: now, or a later time to come back at.

    The slot is taken either way, so calls queue up one interval apart instead
    of all waking at once to fight over the next slot.
    """
    keyed = _keys(workspace_id, method, channel)
    if not keyed:
        return now
    rows = _locked_rows(session, [key for key, _ in keyed], now)
    slot = now
    for key, limit in keyed:
        slot = max(slot, rows[key].next_at - limit.tolerance)
    for key, limit in keyed:
        rows[key].next_at = max(rows[key].next_at, slot) + limit.interval
    return slot


def take_now(
    session: Session, workspace_id: int, method: str, channel: str | None, now: datetime
) -> float:
    """Take a slot only if one is free now (answers 0); else take nothing and answer
    the seconds until one will be, for a caller that cannot wait in the outbox."""
    keyed = _keys(workspace_id, method, channel)
    if not keyed:
        return 0.0
    rows = _locked_rows(session, [key for key, _ in keyed], now)
    slot = max([now, *(rows[key].next_at - limit.tolerance for key, limit in keyed)])
    if slot > now:
        return (slot - now).total_seconds()
    for key, limit in keyed:
        rows[key].next_at = max(rows[key].next_at, now) + limit.interval
    return 0.0


def back_off(
    session: Session,
    workspace_id: int,
    method: str,
    channel: str | None,
    now: datetime,
    retry_after: float,
) -> None:
    """Slack answered 429: nobody calls `method` in that workspace before Retry-After.

    Slack's answer does not say which of its limits was met, so every key of
    the method waits, channel and workspace alike.
    """
    keyed = _keys(workspace_id, method, channel) or [
        (f"{workspace_id}:{method}", Limit(per_minute=60, burst=1))
    ]
    rows = _locked_rows(session, [key for key, _ in keyed], now)
    for key, limit in keyed:
        resume = now + timedelta(seconds=retry_after) + limit.tolerance
        rows[key].next_at = max(rows[key].next_at, resume)
