"""Slack's rate limits, on an injectable clock.

Two kinds, as Slack documents them:

* ``chat.postMessage``: about one message per second per channel with short
  bursts tolerated, modelled as a token bucket per (workspace, channel):
  ``post_burst`` tokens (default 3), refilled at ``post_per_second`` (default
  1/s). On top, a workspace-wide cap of ``post_per_minute`` (default 300).
* Every other method: its tier's calls per minute per workspace (Tier 2: 20,
  Tier 3: 50, Tier 4: 100), counted over a sliding 60 s window.

Limiting is off by default so tests of other features never trip it; turn it
on per test with ``state.rate_limits.configure(enabled=True, ...)``.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from .clock import Clock
from .errors import RateLimited

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}

METHOD_TIERS = {
    "conversations.list": 2,
    "conversations.create": 2,
    "conversations.archive": 2,
    "conversations.setTopic": 2,
    "conversations.setPurpose": 2,
    "conversations.history": 3,
    "chat.update": 3,
    "conversations.invite": 3,
    "conversations.info": 3,
    "conversations.join": 3,
    "conversations.replies": 3,
    "users.lookupByEmail": 3,
    "chat.postEphemeral": 4,
    "users.info": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "pins.add": 2,
    "reactions.add": 3,
    "oauth.v2.access": 4,
}


@dataclass
class RateLimitConfig:
    """Knobs for the limiter. ``per_minute`` overrides a method's tier limit."""

    enabled: bool = False
    post_per_second: float = 1.0
    post_burst: int = 3
    post_per_minute: int = 300
    tier_per_minute: dict[int, int] = field(default_factory=lambda: dict(TIER_PER_MINUTE))
    method_tiers: dict[str, int] = field(default_factory=lambda: dict(METHOD_TIERS))
    per_minute: dict[str, int] = field(default_factory=dict)

    def limit_for(self, method: str) -> int | None:
        """Calls per minute per workspace for ``method``; None if unlimited here."""
        if method in self.per_minute:
            return self.per_minute[method]
        tier = self.method_tiers.get(method)
        return self.tier_per_minute.get(tier) if tier is not None else None


class RateLimiter:
    """Counts calls and raises ``RateLimited`` when a limit is exceeded."""

    def __init__(self, clock: Clock, config: RateLimitConfig) -> None:
        self.clock = clock
        self.config = config
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def configure(self, **changes: Any) -> RateLimitConfig:
        """Change some knobs (e.g. ``enabled=True, post_burst=1``); history is kept."""
        with self._lock:
            self.config = replace(self.config, **changes)
            return self.config

    def reset(self) -> None:
        """Forget every call counted so far."""
        with self._lock:
            self._windows.clear()
            self._buckets.clear()

    def check_method(self, team_id: str, method: str) -> None:
        """Count one call of ``method``; raise if over its per-minute limit."""
        limit = self.config.limit_for(method)
        if self.config.enabled and limit is not None:
            with self._lock:
                self._take_window(team_id, method, limit)

    def check_post(self, team_id: str, channel_id: str) -> None:
        """Count one ``chat.postMessage`` to a channel (bucket, then workspace cap)."""
        if not self.config.enabled:
            return
        with self._lock:
            cfg, now = self.config, self.clock.now()
            key = (team_id, channel_id)
            tokens, last = self._buckets.get(key, (float(cfg.post_burst), now))
            tokens = min(float(cfg.post_burst), tokens + (now - last) * cfg.post_per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited(_whole_seconds((1.0 - tokens) / cfg.post_per_second))
            self._take_window(team_id, "chat.postMessage", cfg.post_per_minute)
            self._buckets[key] = (tokens - 1.0, now)

    def _take_window(self, team_id: str, method: str, limit: int) -> None:
        now = self.clock.now()
        window = self._windows.setdefault((team_id, method), deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) >= limit:
            raise RateLimited(_whole_seconds(window[0] + 60.0 - now))
        window.append(now)


def _whole_seconds(seconds: float) -> int:
    # Retry-After is whole seconds; never tell a client to retry "now".
    return max(1, math.ceil(seconds - 1e-9))
