"""Helpers for the pacing tests.

`run_lane` drives a lane on its own: outbox rows that each make one paced call,
run by a loop on a frozen clock, so tests see exactly when each call was let go.
Each row asks `throttle.admit` when it is due; a row told to wait sleeps until
its turn (or until another row's decision wakes it early), as a worker does.
`alone` is the reference a channel's calls are held to; `within` checks calls
the fake Slack recorded against a bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watchkeep.db.engine import Database
from watchkeep.fakeslack import Call
from watchkeep.outbox import JobKind, store
from watchkeep.slack import throttle
from watchkeep.slack.limits import Bucket

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKSPACE_ID = 1


@dataclass(frozen=True)
class PacedCall:
    channel: str
    urgency: int  # 0 HIGH, 1 MEDIUM, 2 LOW
    arrives: float  # seconds after START


def run_lane(db: Database, calls: list[PacedCall], method: str = "chat.postMessage") -> list[float]:
    """When each call went, in seconds after START (in the order of `calls`)."""
    went: dict[int, float] = {}
    arrivals = sorted(range(len(calls)), key=lambda i: (calls[i].arrives, i))
    next_arrival = 0
    while True:
        with db.read() as session:
            due = store.next_due_at(session)
        times = [due] if due is not None else []
        if next_arrival < len(arrivals):
            times.append(START + timedelta(seconds=calls[arrivals[next_arrival]].arrives))
        if not times:
            return [went[i] for i in range(len(calls))]
        now = min(times)
        with db.write() as session:
            while next_arrival < len(arrivals):
                index = arrivals[next_arrival]
                if START + timedelta(seconds=calls[index].arrives) > now:
                    break
                store.enqueue(session, JobKind.SLACK_POST, {"index": index}, now=now)
                next_arrival += 1
        with db.write() as session:
            jobs = store.claim(session, now=now, limit=1000, lease_seconds=60, worker_id="lane")
        for job in jobs:
            call = calls[job.payload["index"]]
            with db.write() as session:
                turn = throttle.admit(
                    session,
                    WORKSPACE_ID,
                    method,
                    call.channel,
                    job_id=job.id,
                    urgency=call.urgency,
                    now=now,
                )
                if turn.go:
                    store.complete(session, job)
                    went[job.payload["index"]] = (now - START).total_seconds()
                else:
                    store.retry(session, job, due_at=turn.at, error="paced")


def alone(calls: list[PacedCall], bucket: Bucket) -> list[float]:
    """When each call would go if its channel had Slack to itself: the time its own
    queue requires. A call that finds nobody waiting and the bucket willing goes at
    once; otherwise it waits, and whenever the bucket allows, the most urgent
    waiting call goes (the longest waiting among equals). A call arriving at the
    very moment a waiting call's turn comes goes after it."""
    went = [0.0] * len(calls)
    for channel in {c.channel for c in calls}:
        arrivals = sorted(
            (i for i, c in enumerate(calls) if c.channel == channel),
            key=lambda i: (calls[i].arrives, i),
        )
        pending: list[int] = []
        tat, t = float("-inf"), float("-inf")
        while arrivals or pending:
            if not pending:
                index = arrivals.pop(0)
                t = max(t, calls[index].arrives)
                if max(t, tat - bucket.tolerance) > t:
                    pending.append(index)
                    continue
                went[index], tat = t, max(tat, t) + bucket.interval
                continue
            ready = max(t, tat - bucket.tolerance)
            while arrivals and calls[arrivals[0]].arrives < ready:
                pending.append(arrivals.pop(0))
            best = min(pending, key=lambda i: (calls[i].urgency, calls[i].arrives, i))
            pending.remove(best)
            went[best] = t = ready
            tat = max(tat, ready) + bucket.interval
    return went


def within(calls: list[Call], bucket: Bucket) -> bool:
    """No run of calls came faster than `bucket` allows: n calls span (n - burst) intervals.

    Times are stored to the microsecond, so each may fall a microsecond early.
    """
    times, interval = [c.at for c in calls], bucket.interval
    return all(
        j - i + 1 <= bucket.burst + (times[j] - times[i] + (j - i) * 1e-6) / interval
        for i in range(len(times))
        for j in range(i + 1, len(times))
    )
