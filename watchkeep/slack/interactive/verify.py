"""Slack's request signatures, checked with the signing secret kept in the database.

The secret is cached for a few seconds; after a change the previous one is
still accepted for a while, so requests signed during a rotation are not lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from slack_sdk.signature import SignatureVerifier

CACHE_SECONDS = 10.0
ROTATION_GRACE_SECONDS = 600.0


class RequestVerifier:
    def __init__(self, load_secret: Callable[[], str | None]) -> None:
        self._load = load_secret
        self._lock = threading.Lock()
        self._current: str | None = None
        self._previous: str | None = None
        self._previous_until = 0.0
        self._fresh_until = 0.0

    def secrets(self) -> list[str]:
        """The secrets a request may be signed with now (loads from the database when stale)."""
        now = time.monotonic()
        with self._lock:
            if now >= self._fresh_until:
                latest = self._load()
                if latest != self._current and self._current:
                    self._previous, self._previous_until = (
                        self._current,
                        now + ROTATION_GRACE_SECONDS,
                    )
                self._current, self._fresh_until = latest, now + CACHE_SECONDS
            accepted = [self._current] if self._current else []
            if self._previous and now < self._previous_until:
                accepted.append(self._previous)
            return accepted

    def is_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """No secret configured means every request is refused."""
        for secret in self.secrets():
            try:
                if SignatureVerifier(secret).is_valid_request(body, headers):
                    return True
            except ValueError:
                # A non-numeric timestamp or a body that is not UTF-8: forged, not our bug.
                return False
        return False
