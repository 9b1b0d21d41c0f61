"""Slack's failures as typed exceptions, sorted by what the caller should do.

Transient ones (5xx, timeouts, `ratelimited`) are retried until they succeed;
permanent ones (a missing channel, a revoked token) stop delivery and are
shown to people. Anything Slack answers that we do not know is permanent:
retrying an unknown refusal forever would hide it.
"""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """Slack refused or failed a call."""

    def __init__(self, method: str, error: str, detail: str = "") -> None:
        super().__init__(f"{method}: {error}" + (f" ({detail})" if detail else ""))
        self.method = method
        self.error = error


class SlackTransientError(SlackError):
    """5xx, a timeout, a dropped connection: Slack may well answer next time."""


class SlackRateLimitedError(SlackTransientError):
    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(method, "ratelimited", f"retry after {retry_after:g}s")
        self.retry_after = retry_after


class SlackPermanentError(SlackError):
    """Retrying cannot help until a person changes something."""


class SlackChannelError(SlackPermanentError):
    """The channel is missing, archived, or the bot is not in it."""


class SlackAuthError(SlackPermanentError):
    """The token is wrong, revoked, or lacks a scope: the workspace needs attention."""


class SlackMessageGoneError(SlackPermanentError):
    """The message to update or reply to was deleted."""


class SlackTriggerExpiredError(SlackPermanentError):
    """A modal's trigger_id was used too late (Slack gives 3 seconds)."""


_BY_CODE: dict[str, type[SlackError]] = {
    **dict.fromkeys(
        ["channel_not_found", "not_in_channel", "is_archived", "restricted_action"],
        SlackChannelError,
    ),
    **dict.fromkeys(
        [
            "invalid_auth",
            "not_authed",
            "token_revoked",
            "token_expired",
            "account_inactive",
            "missing_scope",
            "no_permission",
            "not_allowed_token_type",
        ],
        SlackAuthError,
    ),
    **dict.fromkeys(
        ["message_not_found", "cant_update_message", "thread_not_found"], SlackMessageGoneError
    ),
    **dict.fromkeys(
        ["expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"],
        SlackTriggerExpiredError,
    ),
    **dict.fromkeys(
        ["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"],
        SlackTransientError,
    ),
}


def from_response(method: str, status: int, body: Any, retry_after: str | None) -> SlackError:
    """The typed error for an answer that was not `ok`."""
    if status == 429:
        try:
            wait = float(retry_after or 1)
        except ValueError:
            wait = 1.0
        return SlackRateLimitedError(method, max(wait, 1.0))
    error = body.get("error", "") if isinstance(body, dict) else ""
    if status >= 500:
        return SlackTransientError(method, error or f"http_{status}")
    cls = _BY_CODE.get(error, SlackPermanentError)
    detail = ""
    if isinstance(body, dict) and body.get("needed"):
        detail = f"needs scope {body['needed']}"
    return cls(method, error or f"http_{status}", detail)
