"""Failure injection: make the next calls of a method fail, or Slack go down.

Each ``*_next`` helper queues a fault for the next ``times`` calls of a method
(``"*"`` means any method). Faults are consumed before authentication, so
they hit whatever token the caller uses. A delay fault only holds the call
back: it then runs normally, just as a real Slack call can succeed after the
client has given up waiting; a late fault runs the call at once and holds the
answer back (both classic sources of duplicates).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["error", "http", "ratelimit", "delay", "late"]


@dataclass
class Fault:
    kind: FaultKind
    remaining: int
    error: str = ""
    status: int = 200
    retry_after: int = 0
    seconds: float = 0.0
    body: str | None = None  # raw text body for HTTP errors; None sends Slack-style JSON


@dataclass(frozen=True)
class Outage:
    status: int
    body: str | None


class Faults:
    """The queue of injected faults plus the global outage switch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, list[Fault]] = {}
        self._outage: Outage | None = None

    def fail_next(self, method: str, error: str = "internal_error", *, times: int = 1) -> None:
        """Answer HTTP 200 ``{"ok": false, "error": error}``."""
        self._add(method, Fault("error", times, error=error))

    def http_error_next(
        self, method: str, status: int = 500, *, times: int = 1, body: str | None = None
    ) -> None:
        """Answer with an HTTP error status (JSON body unless ``body`` is given)."""
        self._add(method, Fault("http", times, status=status, body=body))

    def ratelimit_next(self, method: str, retry_after: int = 30, *, times: int = 1) -> None:
        """Answer HTTP 429 with ``Retry-After``, whatever the rate limiter thinks."""
        self._add(method, Fault("ratelimit", times, retry_after=retry_after))

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the answer back ``seconds`` (real time), then handle the call normally."""
        self._add(method, Fault("delay", times, seconds=seconds))

    def answer_late_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Handle the call at once (the message exists), then hold the answer back
        ``seconds`` (real time): a client that gives up, or dies, never learns it worked."""
        self._add(method, Fault("late", times, seconds=seconds))

    def start_outage(self, status: int = 503, body: str | None = None) -> None:
        """Every call answers ``status`` until ``end_outage``."""
        with self._lock:
            self._outage = Outage(status, body)

    def end_outage(self) -> None:
        with self._lock:
            self._outage = None

    @property
    def outage(self) -> Outage | None:
        with self._lock:
            return self._outage

    def clear(self) -> None:
        """Drop queued faults and end any outage."""
        with self._lock:
            self._queued.clear()
            self._outage = None

    def pending(self, method: str | None = None) -> int:
        """How many injected failures are still to be served."""
        with self._lock:
            queues = self._queued.values() if method is None else [self._queued.get(method, [])]
            return sum(f.remaining for q in queues for f in q)

    def take(self, method: str) -> Fault | None:
        """Consume one fault for a call of ``method``, if any is queued."""
        with self._lock:
            for key in (method, "*"):
                queue = self._queued.get(key)
                if queue:
                    fault = queue[0]
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.pop(0)
                    return fault
            return None

    def _add(self, method: str, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queued.setdefault(method, []).append(fault)
