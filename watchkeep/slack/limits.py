"""Slack's rate limits as Watchkeep models them, declared once per method.

Slack documents two shapes (its "Rate limits" page and each method's page):

* `chat.postMessage`: about one message a second per channel, short bursts
  tolerated, and a workspace-wide cap of several hundred a minute. Thread
  replies are posts in the same channel and count the same.
* Tiers, per method per workspace: Tier 2 20+, Tier 3 50+, Tier 4 100+ calls a
  minute, bursts welcome.

A per-channel limit is a token bucket (`Bucket`); a per-minute limit is a
sliding window (`Window`: at most `calls` in any `seconds`), which is what lets
a storm use a whole minute's allowance at once instead of trickling it out.
Both sit a little inside Slack's numbers, so that a call which reaches Slack a
moment after we let it go still never meets a 429.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """`per_second` calls a second per channel, with `burst` at once after a quiet spell."""

    per_second: float
    burst: int

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        """How far ahead of its theoretical time a call may go (GCRA's τ)."""
        return self.interval * (self.burst - 1)


@dataclass(frozen=True)
class Window:
    """At most `calls` in any `seconds`."""

    calls: int
    seconds: float


@dataclass(frozen=True)
class MethodLimits:
    """A method's workspace-wide window, and its per-channel bucket if it has one."""

    workspace: Window
    channel: Bucket | None = None


# A window is kept this much longer than Slack's: a call we let go at t reaches
# Slack (and enters its window) a few milliseconds after t.
WINDOW_MARGIN_SECONDS = 1.0

# Slack tolerates short bursts (its fake here: 3). Two keeps one call in hand, so
# a post that reaches Slack late never lets the next two make a burst of four.
POST = MethodLimits(
    workspace=Window(calls=300, seconds=60 + WINDOW_MARGIN_SECONDS),
    channel=Bucket(per_second=1.0, burst=2),
)
TIER_2 = MethodLimits(Window(calls=20, seconds=60 + WINDOW_MARGIN_SECONDS))
TIER_3 = MethodLimits(Window(calls=50, seconds=60 + WINDOW_MARGIN_SECONDS))
TIER_4 = MethodLimits(Window(calls=100, seconds=60 + WINDOW_MARGIN_SECONDS))

LIMITS: dict[str, MethodLimits] = {
    "chat.postMessage": POST,
    "chat.update": TIER_3,
    "conversations.list": TIER_2,
    "conversations.create": TIER_2,
    "conversations.archive": TIER_2,
    "conversations.setTopic": TIER_2,
    "conversations.setPurpose": TIER_2,
    "conversations.invite": TIER_3,
    "conversations.info": TIER_3,
    "users.lookupByEmail": TIER_3,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "users.info": TIER_4,
    "views.open": TIER_4,
    "views.publish": TIER_4,
}


def limited(method: str) -> bool:
    """Whether Watchkeep paces `method` (others, such as auth.test, are not rate-limited
    per workspace in a way that matters)."""
    return method in LIMITS
