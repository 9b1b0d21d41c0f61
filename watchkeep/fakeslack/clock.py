"""Clocks for the fake Slack: real time, or a hand-driven clock for tests.

Everything time-dependent in the fake (message ts, trigger id expiry, rate
limit windows, call timestamps) reads the clock through this interface, so a
test can move time forward instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Anything with a ``now()`` returning Unix epoch seconds."""

    def now(self) -> float: ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that only moves when a test tells it to.

    The default start is a fixed 2023 instant so message timestamps look like
    Slack's (``"1700000000.000100"``) and are the same on every run.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, now: float) -> None:
        """Jump to an absolute time (forward only)."""
        with self._lock:
            if now < self._now:
                raise ValueError("time only moves forward")
            self._now = now
