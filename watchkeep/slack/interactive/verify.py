"""Slack's request signatures, checked with the signing secrets kept in the database.

The accepted secrets (the current one, and the previous one for a while after
a rotation) are cached for a few seconds, and at once refreshed after a change
made in this process. A signature that matches none of them is checked once
more against a fresh read, because another process may have just stored a new
secret: a rotation through one replica never makes the others answer 401.
Fresh reads are at most one every `REREAD_SECONDS` (a flood of forged requests
costs the database that, no more); a request that misses waits for the next
read instead of failing. A request's age is judged by the runtime's clock, the
one every other deadline in Watchkeep reads.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping

from slack_sdk.signature import Clock, SignatureVerifier
from starlette.concurrency import run_in_threadpool

CACHE_SECONDS = 10.0
REREAD_SECONDS = 0.1
# Slack's replay window: an older (or future) timestamp is refused whatever its signature.
MAX_AGE_SECONDS = 300


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
        # When the read of the secrets held began (monotonic), and whether one runs now.
        self._read_at = float("-inf")
        self._reading = False

    async def is_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """No secret configured means every request is refused."""
        arrived = time.monotonic()
        signed = _signed(headers, self._clock.now())
        if signed is None:
            return False
        secrets = await self._current(arrived)
        if _matches(secrets, body, *signed, self._clock):
            return True
        fresh = await self._read_since(arrived)
        return fresh != secrets and _matches(fresh, body, *signed, self._clock)

    async def _current(self, arrived: float) -> list[str]:
        with self._lock:
            fresh = time.monotonic() < self._read_at + CACHE_SECONDS
            if fresh and self._generation() == self._seen_generation:
                return list(self._secrets)
        return await self._read_since(arrived)

    async def _read_since(self, arrived: float) -> list[str]:
        """The secrets as read by a read that began after `arrived`: one already done,
        the one under way, or the next (one at a time, `REREAD_SECONDS` apart)."""
        while True:
            with self._lock:
                if self._read_at >= arrived and not self._reading:
                    return list(self._secrets)
                wait = self._read_at + REREAD_SECONDS - time.monotonic()
                start = not self._reading and wait <= 0
                if start:
                    self._reading = True
                    started, generation = time.monotonic(), self._generation()
            if not start:
                await asyncio.sleep(max(wait, 0.005))
                continue
            try:
                secrets = await run_in_threadpool(self._load)
            finally:
                with self._lock:
                    self._reading = False
            with self._lock:
                self._secrets, self._read_at = secrets, started
                self._seen_generation = generation
            return list(secrets)


def _signed(headers: Mapping[str, str], now: float) -> tuple[str, str] | None:
    """The request's (timestamp, signature) if it may be genuine at all: both present,
    a numeric timestamp within Slack's replay window."""
    timestamp = headers.get("x-slack-request-timestamp") or headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("x-slack-signature") or headers.get("X-Slack-Signature")
    if not timestamp or not signature:
        return None
    try:
        if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
            return None
    except ValueError:
        return None
    return timestamp, signature


def _matches(secrets: list[str], body: bytes, timestamp: str, signature: str, clock: Clock) -> bool:
    for secret in secrets:
        try:
            if SignatureVerifier(secret, clock).is_valid(body, timestamp, signature):
                return True
        except ValueError:
            # A body that is not UTF-8 (UnicodeDecodeError): forged, not our bug.
            return False
    return False
