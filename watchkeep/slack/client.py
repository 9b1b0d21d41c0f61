"""The one door to Slack: the official SDK's clients, any workspace, typed errors.

A single `WebClient` and a single `AsyncWebClient` serve every workspace (each
call passes its token); their base URL comes from WATCHKEEP_SLACK_API_URL so
tests and the sandbox talk to a fake Slack. Answers to a `response_url` go
through here too. Whatever the client, a failure comes out as a `SlackError`
(transient, rate-limited or permanent). No retry handler is installed: retries
belong to the outbox, which waits without holding a thread.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient

from watchkeep import metrics
from watchkeep.db import engine
from watchkeep.slack.errors import (
    SlackError,
    SlackPermanentError,
    SlackRateLimitedError,
    SlackTransientError,
    from_response,
)


class SlackGateway:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = int(max(1, timeout))
        self._client = WebClient(base_url=self.base_url, timeout=self.timeout)
        self._client.retry_handlers.clear()
        self._async_client = AsyncWebClient(base_url=self.base_url, timeout=self.timeout)
        self._async_client.retry_handlers.clear()

    def call(self, token: str, method: str, **params: Any) -> dict[str, Any]:
        """Call `method` with `token`; answers the response data or raises a SlackError."""
        try:
            response = self._client.api_call(method, **_arguments(token, method, params))
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _counted(_typed(method, exc)) from exc
        _count(method, "ok")
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def acall(self, token: str, method: str, **params: Any) -> dict[str, Any]:
        """`call` for the event loop (a click's modal, its user lookup)."""
        try:
            response = await self._async_client.api_call(
                method, **_arguments(token, method, params)
            )
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _counted(_typed(method, exc)) from exc
        _count(method, "ok")
        return dict(response.data) if isinstance(response.data, dict) else {}

    def exchange_code(
        self, *, client_id: str, client_secret: str, code: str, redirect_uri: str
    ) -> dict[str, Any]:
        """OAuth v2: trade an install's code for its bot token (Basic auth, no token)."""
        method = "oauth.v2.access"
        engine.note_effect()  # a code is good for one exchange
        try:
            response = self._client.oauth_v2_access(
                client_id=client_id,
                client_secret=client_secret,
                code=code,
                redirect_uri=redirect_uri,
            )
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise _counted(_typed(method, exc)) from exc
        _count(method, "ok")
        return dict(response.data) if isinstance(response.data, dict) else {}

    def respond(self, response_url: str, **message: Any) -> None:
        """Post to an interaction's `response_url` (the caller checked that it is Slack's)."""
        method = "response_url"
        engine.note_effect()
        try:
            response = WebhookClient(response_url, timeout=self.timeout).send(**message)
        except (SlackClientError, OSError, TimeoutError) as exc:
            error = SlackTransientError(method, exc.__class__.__name__, str(exc)[:200])
            raise _counted(error) from exc
        status = response.status_code
        if status == 429:
            retry_after = _seconds(response.headers.get("Retry-After"))
            raise _counted(SlackRateLimitedError(method, retry_after))
        if status >= 500:
            raise _counted(SlackTransientError(method, f"http_{status}"))
        if status >= 400:
            # Expired (30 minutes) or used five times: nobody is waiting for it any more.
            detail = str(response.body)[:200]
            raise _counted(SlackPermanentError(method, f"http_{status}", detail))
        _count(method, "ok")


def _arguments(token: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    if not method.endswith(_READS):
        # A request that changed something in Slack must not run again (`watchkeep.request_retry`).
        engine.note_effect()
    # The SDK lifts `token` out of the body and sends it as the Bearer header.
    body = {**params, "token": token}
    # Slack takes JSON bodies for chat.* and views.*; the rest want form or query fields.
    return {"json": body} if method.startswith(("chat.", "views.")) else {"params": body}


# Methods that only read: asking again changes nothing.
_READS = ("auth.test", ".info", ".list", ".history", ".replies", ".lookupByEmail")


def _count(method: str, outcome: str) -> None:
    metrics.SLACK_CALLS.labels(method, outcome).inc()


def _counted(error: SlackError) -> SlackError:
    """Count a failed call by what Slack said: 429, or its error code (`channel_not_found`,
    `http_503`, or the exception class of a call that never got an answer)."""
    outcome = "429" if isinstance(error, SlackRateLimitedError) else error.error
    _count(error.method, outcome[:64])
    return error


def _typed(method: str, exc: Exception) -> SlackError:
    if isinstance(exc, SlackApiError):
        raw = exc.response
        return from_response(method, raw.status_code, raw.data, raw.headers.get("Retry-After"))
    # Connection refused, DNS, timeouts, a non-JSON 5xx: try again later.
    return SlackTransientError(method, exc.__class__.__name__, str(exc)[:200])


def _seconds(value: Any) -> float:
    try:
        return max(float(value), 1.0)
    except (TypeError, ValueError):
        return 1.0
