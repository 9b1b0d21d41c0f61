"""Who goes next when Slack's limits are the bottleneck: the schedule of one lane.

A lane is one method in one workspace (`chat.postMessage` in workspace 3). Its
state is what Slack has seen of us: the recent calls (for the per-minute
window), each channel's bucket (GCRA: the theoretical time of its next call),
and a pause after a 429. Calls that could not go yet wait in the lane.

`project` plays the lane forward and says when each waiting call will go, if
nothing else arrives. The order is fair by construction:

* within a channel, the most urgent call first, then the one waiting longest;
* across channels, when the workspace allowance is what holds calls back, the
  channel whose head is most urgent, then the channel served least recently
  (round robin), so a busy channel takes its share and no more;
* a call goes as soon as its own channel and the workspace both allow it:
  nobody holds a slot for later, so a quiet channel never queues behind a busy one.

Pure functions on plain values (seconds since the epoch), so the rules can be
tested on their own; `throttle` keeps the state in the database.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

from watchkeep.slack.limits import MethodLimits

# Times are floats of seconds: a call "at" t may go at t plus this rounding.
EPSILON = 1e-6


@dataclass
class LaneState:
    paused_until: float = 0.0
    # (time, channel) of recent calls, oldest first: enough to judge the window.
    calls: list[tuple[float, str]] = field(default_factory=list)
    # Per-channel GCRA theoretical arrival times, for channels not yet back to a full burst.
    tat: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Waiter:
    ident: int
    channel: str
    urgency: int  # 0 is the most urgent
    since: float

    @property
    def rank(self) -> tuple[int, float, int]:
        return (self.urgency, self.since, self.ident)


def prune(limits: MethodLimits, state: LaneState, now: float) -> None:
    """Forget what no longer limits anything: calls out of the window, full buckets."""
    window = limits.workspace
    calls = [c for c in state.calls if c[0] > now - window.seconds]
    state.calls = calls[-window.calls :]
    state.tat = {ch: t for ch, t in state.tat.items() if t > now}


def _window_ready(limits: MethodLimits, times: deque[float] | list[float], at: float) -> float:
    window = limits.workspace
    if len(times) < window.calls:
        return at
    return max(at, times[-window.calls] + window.seconds)


def _channel_ready(limits: MethodLimits, tat: dict[str, float], channel: str, at: float) -> float:
    bucket = limits.channel
    if bucket is None or channel not in tat:
        return at
    return max(at, tat[channel] - bucket.tolerance)


def earliest(limits: MethodLimits, state: LaneState, channel: str, now: float) -> float:
    """When one call in `channel` could go if it were alone in the lane."""
    at = max(now, state.paused_until)
    at = _channel_ready(limits, state.tat, channel, at)
    return _window_ready(limits, [t for t, _ in state.calls], at)


def take(limits: MethodLimits, state: LaneState, channel: str, at: float) -> None:
    """Record a call made at `at`."""
    state.calls.append((at, channel))
    _spend(limits, state.tat, channel, at)


def _spend(limits: MethodLimits, tat: dict[str, float], channel: str, at: float) -> None:
    if limits.channel is not None:
        tat[channel] = max(tat.get(channel, at), at) + limits.channel.interval


def project(
    limits: MethodLimits, state: LaneState, waiters: list[Waiter], now: float
) -> dict[int, float]:
    """When each waiter will go if no other call arrives: ident → time."""
    queues: dict[str, list[Waiter]] = {}
    for waiter in sorted(waiters, key=lambda w: w.rank):
        queues.setdefault(waiter.channel, []).append(waiter)
    heads = dict.fromkeys(queues, 0)
    tat = dict(state.tat)
    times = deque(t for t, _ in state.calls)
    last_served: dict[str, float] = {}
    for at, channel in state.calls:
        last_served[channel] = at
    t = max(now, state.paused_until)

    def rank(channel: str) -> tuple[int, float, float, int]:
        head = queues[channel][heads[channel]]
        return (head.urgency, last_served.get(channel, float("-inf")), head.since, head.ident)

    # Channels by when their bucket lets their head go; those already able, by rank.
    waiting = [(_channel_ready(limits, tat, ch, t), ch) for ch in queues]
    heapq.heapify(waiting)
    able: list[tuple[tuple[int, float, float, int], str]] = []
    projected: dict[int, float] = {}
    while waiting or able:
        at = _window_ready(limits, times, t if able else max(t, waiting[0][0]))
        while waiting and waiting[0][0] <= at + EPSILON:
            channel = heapq.heappop(waiting)[1]
            heapq.heappush(able, (rank(channel), channel))
        channel = heapq.heappop(able)[1]
        head = queues[channel][heads[channel]]
        projected[head.ident] = at
        _spend(limits, tat, channel, at)
        times.append(at)
        last_served[channel] = t = at
        if len(times) > limits.workspace.calls:
            times.popleft()
        heads[channel] += 1
        if heads[channel] < len(queues[channel]):
            heapq.heappush(waiting, (_channel_ready(limits, tat, channel, at), channel))
    return projected
