"""Exceptions a fake Slack method raises to produce an error answer."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """An ``{"ok": false, "error": ...}`` answer, HTTP 200 as Slack sends it.

    ``extra`` holds the additional top-level fields some errors carry
    (``needed``/``provided`` for ``missing_scope``, ``errors`` and
    ``response_metadata`` for ``invalid_blocks``).
    """

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


class RateLimited(Exception):
    """Answer HTTP 429 with ``Retry-After: retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"ratelimited, retry after {retry_after}s")
        self.retry_after = retry_after
