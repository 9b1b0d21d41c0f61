"""Slack's rate limits, shared by every worker through the database.

Each lane (a method in a workspace) is one `slack_pacing` row (`lanes`), locked while a
call is judged, so any number of workers and processes take turns exactly as
one would. An outbox job asks `admit`: it goes now if its turn has come
(`schedule.project` says so, counting every call waiting in the lane), else it
waits in the lane (`slack_pacing_waiters`) and its row sleeps until its turn.
Nothing is reserved ahead: a waiting call holds only its place in the queue,
so a call that arrives in a quiet channel goes at once. When a turn comes
sooner than a waiter was told, its outbox row is woken early.

Calls a person waits for use `take_now` (go now or be told how long), and a
429 pauses the lane for Retry-After with `back_off`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from watchkeep import metrics
from watchkeep.outbox import queries, store
from watchkeep.slack import schedule
from watchkeep.slack.lanes import Lane
from watchkeep.slack.limits import LIMITS, MethodLimits
from watchkeep.slack.models import SlackPacingWaiter
from watchkeep.slack.schedule import EPSILON, Waiter

# A waiter whose job will not run again (it ended another way, or its worker died
# holding it) leaves the queue at once. One whose job has not come back this long
# after its turn is passed over too, whatever keeps it.
WAITER_GRACE_SECONDS = 60.0
# Wake a waiter early only when its turn moved by more than this.
HURRY_SECONDS = 0.05

_W = SlackPacingWaiter
# Whose lanes: a workspace id, or a connector's `connector-<id>`.
LaneOwner = int | str


@dataclass(frozen=True)
class Turn:
    """`go` now, or come back `at`."""

    go: bool
    at: datetime


def lane_key(workspace_id: LaneOwner, method: str) -> str:
    """A workspace's lanes by its id; a connector's by `connector-<id>` (`senders`)."""
    return f"{workspace_id}:{method}"


def admit(
    session: Session,
    workspace_id: LaneOwner,
    method: str,
    channel: str | None,
    *,
    job_id: int,
    urgency: int,
    now: datetime,
) -> Turn:
    """Whether outbox job `job_id` may make its call now; if not, its place in the lane."""
    limits = LIMITS.get(method)
    if limits is None:
        return Turn(True, now)
    key = lane_key(workspace_id, method)
    lane = Lane.locked(session, key, limits, now)
    channel = lane.canonical(channel)
    t = now.timestamp()
    mine, others = _queue(session, key, limits, lane, {channel}, {job_id}, t)
    since = mine[job_id].since if job_id in mine else now
    waiters = [_waiter(lane, row) for row in others]
    waiters.append(Waiter(job_id, channel, urgency, since.timestamp()))
    projected = schedule.project(limits, lane.state, waiters, t)
    _hurry(session, others, projected)
    if projected[job_id] <= t + EPSILON:
        schedule.take(limits, lane.state, channel, t)
        if job_id in mine:
            session.execute(delete(_W).where(_W.id == mine[job_id].id))
        lane.save()
        return Turn(True, now)
    wake_at = _datetime(projected[job_id])
    if job_id in mine:
        session.execute(
            update(_W)
            .where(_W.id == mine[job_id].id)
            .values(channel=channel, urgency=urgency, wake_at=wake_at)
        )
    else:
        _add_waiters(session, key, [(job_id, channel, urgency, wake_at)], now)
    lane.save()
    _waited(method, projected[job_id] - t)
    return Turn(False, wake_at)


def place(
    session: Session, workspace_id: LaneOwner, method: str, calls: list[Call], now: datetime
) -> dict[int, datetime]:
    """Give jobs being enqueued in this transaction their places in the lane, all at
    once, and answer when each one's turn comes (its row's due time). Nothing is
    taken: each call still asks `admit` when it runs. A storm's jobs then sleep
    until their turn instead of each running once only to be told to wait."""
    limits = LIMITS.get(method)
    if limits is None or not calls:
        return {}
    key = lane_key(workspace_id, method)
    lane = Lane.locked(session, key, limits, now)
    t = now.timestamp()
    new = [Waiter(c.job_id, lane.canonical(c.channel), c.urgency, t) for c in calls]
    _, others = _queue(
        session, key, limits, lane, {w.channel for w in new}, {w.ident for w in new}, t
    )
    waiters = [*(_waiter(lane, row) for row in others), *new]
    projected = schedule.project(limits, lane.state, waiters, t)
    _hurry(session, others, projected)
    turns = {w.ident: _datetime(projected[w.ident]) for w in new}
    for w in new:
        if projected[w.ident] > t + EPSILON:
            _waited(method, projected[w.ident] - t)
    _add_waiters(session, key, [(w.ident, w.channel, w.urgency, turns[w.ident]) for w in new], now)
    lane.save()
    return turns


@dataclass(frozen=True)
class Call:
    """A call an outbox job will make: which job, in which channel, how urgent."""

    job_id: int
    channel: str | None
    urgency: int


def _add_waiters(
    session: Session, key: str, waiters: list[tuple[int, str, int, datetime]], now: datetime
) -> None:
    session.execute(
        insert(_W),
        [
            {"lane": key, "job_id": job_id, "channel": ch, "urgency": u, "since": now, "wake_at": w}
            for job_id, ch, u, w in waiters
        ],
    )


def _queue(
    session: Session,
    key: str,
    limits: MethodLimits,
    lane: Lane,
    channels: set[str],
    jobs: set[int],
    t: float,
) -> tuple[dict[int, Any], list[Any]]:
    """The waiter rows of `jobs` (those that have one), and the live waiters a
    projection of their calls counts; waiters whose job will not come back are
    removed on the way."""
    mine: dict[int, Any] = {}
    rows = []
    query = _waiters_that_matter(session, key, limits, lane, channels, jobs)
    for row in session.execute(query):
        if row.job_id in jobs:
            mine[row.job_id] = row
        else:
            rows.append(row)
    # A waiter whose turn is still ahead sleeps until then; only those past it may be gone.
    late = [row.job_id for row in rows if row.wake_at.timestamp() < t]
    running = queries.still_to_run(session, late, _datetime(t))
    others, stale = [], []
    for row in rows:
        woken = row.wake_at.timestamp()
        if woken >= t or (row.job_id in running and woken + WAITER_GRACE_SECONDS >= t):
            others.append(row)
        else:
            stale.append(row.id)
    if stale:
        session.execute(delete(_W).where(_W.id.in_(stale)))
    return mine, others


def _waiter(lane: Lane, row: Any) -> Waiter:
    return Waiter(row.job_id, lane.canonical(row.channel), row.urgency, row.since.timestamp())


def _waiters_that_matter(
    session: Session,
    key: str,
    limits: MethodLimits,
    lane: Lane,
    channels: set[str],
    jobs: set[int],
) -> Any:
    """The waiters a projection of these calls must count: the whole lane while the
    workspace's window could bind, else only those of their own channels (and their
    own), since channels are then independent. Most calls of a storm ask the cheap one."""
    query = select(_W.id, _W.job_id, _W.channel, _W.urgency, _W.since, _W.wake_at).where(
        _W.lane == key
    )
    others = select(func.count()).where(_W.lane == key, _W.job_id.not_in(jobs))
    waiting = session.scalar(others) or 0
    # Every call made or waiting fits in one window: it cannot bind, channels are apart.
    if len(lane.state.calls) + waiting + len(jobs) <= limits.workspace.calls:
        query = query.where(or_(_W.channel.in_(channels), _W.job_id.in_(jobs)))
    return query


def _hurry(session: Session, waiters: list[Any], projected: dict[int, float]) -> None:
    """Wake the waiters whose turn now comes sooner than they were told (in id order,
    as every writer of outbox rows locks them, so no two can deadlock)."""
    for row in sorted(waiters, key=lambda row: row.job_id):
        turn = projected[row.job_id]
        if turn < row.wake_at.timestamp() - HURRY_SECONDS:
            wake_at = _datetime(turn)
            session.execute(update(_W).where(_W.id == row.id).values(wake_at=wake_at))
            store.hurry(session, row.job_id, due_at=wake_at)


def take_now(
    session: Session, workspace_id: LaneOwner, method: str, channel: str | None, now: datetime
) -> float:
    """Take a call's place only if it may go now (answers 0); else take nothing and
    answer the seconds until it could, for a caller that cannot wait in the outbox.
    A person waits on these, so they go before the outbox's waiting calls."""
    limits = LIMITS.get(method)
    if limits is None:
        return 0.0
    lane = Lane.locked(session, lane_key(workspace_id, method), limits, now)
    channel = lane.canonical(channel)
    t = now.timestamp()
    at = schedule.earliest(limits, lane.state, channel, t)
    if at > t + EPSILON:
        _waited(method, at - t)
        return at - t
    schedule.take(limits, lane.state, channel, t)
    lane.save()
    return 0.0


def _waited(method: str, seconds: float) -> None:
    metrics.SLACK_RATE_LIMIT_WAITS.labels(method).inc()
    metrics.SLACK_RATE_LIMIT_WAIT_SECONDS.labels(method).observe(seconds)


def back_off(
    session: Session,
    workspace_id: LaneOwner,
    method: str,
    channel: str | None,
    now: datetime,
    retry_after: float,
) -> None:
    """Slack answered 429: nobody calls `method` in that workspace before Retry-After.

    Slack's answer does not say which of its limits was met, so the whole lane
    waits, every channel alike.
    """
    limits = LIMITS.get(method)
    if limits is None:
        return
    lane = Lane.locked(session, lane_key(workspace_id, method), limits, now)
    lane.state.paused_until = max(lane.state.paused_until, now.timestamp() + retry_after)
    lane.save()


def learn_channel(
    session: Session,
    workspace_id: LaneOwner,
    method: str,
    name: str,
    channel_id: str,
    now: datetime,
) -> None:
    """Slack answered a call to `#name` with the channel's id: from now on both are
    one channel, with one bucket (a post goes to `#ops`, its thread replies to `C…`)."""
    limits = LIMITS.get(method)
    if limits is None or limits.channel is None or name == channel_id:
        return
    key = lane_key(workspace_id, method)
    lane = Lane.locked(session, key, limits, now)
    if lane.aliases.get(name) == channel_id:
        return
    lane.aliases[name] = channel_id
    state = lane.state
    if name in state.tat:
        state.tat[channel_id] = max(state.tat.pop(name), state.tat.get(channel_id, 0.0))
    state.calls = [(t, channel_id if c == name else c) for t, c in state.calls]
    session.execute(update(_W).where(_W.lane == key, _W.channel == name).values(channel=channel_id))
    lane.save()


def forget(session: Session, job_id: int, now: datetime) -> None:
    """A job ended: it leaves every lane it waited in, and the calls it held up move up
    (their rows are woken early)."""
    places = session.execute(select(_W.lane, _W.channel).where(_W.job_id == job_id)).all()
    for key, channel in places:
        limits = LIMITS.get(key.split(":", 1)[1])
        if limits is None:
            session.execute(delete(_W).where(_W.lane == key, _W.job_id == job_id))
            continue
        # The lane first: every writer of its waiters holds it, so none can deadlock.
        lane = Lane.locked(session, key, limits, now)
        session.execute(delete(_W).where(_W.lane == key, _W.job_id == job_id))
        t = now.timestamp()
        _, others = _queue(session, key, limits, lane, {channel}, {job_id}, t)
        projected = schedule.project(limits, lane.state, [_waiter(lane, r) for r in others], t)
        _hurry(session, others, projected)
        lane.save()


def _datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
