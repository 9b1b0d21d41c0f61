"""Slack's request signatures, checked with the signing secrets kept in the database.

The accepted secrets (the current one, and the previous one for a while after
a rotation) are cached for a few seconds, and at once refreshed after a change
made in this process. A request's age is judged by the runtime's clock, the
one every other deadline in Watchkeep reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from slack_sdk.signature import Clock, SignatureVerifier

CACHE_SECONDS = 10.0


class _Now(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class RequestVerifier:
    def __init__(
        self,
        load_secrets: Callable[[], list[str]],
        generation: Callable[[], int] = lambda: 0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._load = load_secrets
        self._generation = generation
        self._clock = _Now(now)
        self._lock = threading.Lock()
        self._secrets: list[str] = []
        self._seen_generation = -1
        self._fresh_until = 0.0

    def secrets(self) -> list[str]:
        now = time.monotonic()
        with self._lock:
            generation = self._generation()
            if now >= self._fresh_until or generation != self._seen_generation:
                self._secrets = self._load()
                self._fresh_until, self._seen_generation = now + CACHE_SECONDS, generation
            return list(self._secrets)

    def is_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """No secret configured means every request is refused."""
        for secret in self.secrets():
            try:
                if SignatureVerifier(secret, self._clock).is_valid_request(body, headers):
                    return True
            except ValueError:
                # A non-numeric timestamp or a body that is not UTF-8: forged, not our bug.
                return False
        return False
