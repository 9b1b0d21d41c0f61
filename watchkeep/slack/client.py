"""The one door to Slack's Web API: the official SDK, any workspace, typed errors.

A single `WebClient` serves every workspace (each call passes its token); its
base URL comes from WATCHKEEP_SLACK_API_URL so tests and the sandbox talk to a
fake Slack. No retry handler is installed: retries belong to the outbox, which
waits without holding a thread.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from watchkeep.slack.errors import SlackTransientError, from_response


class SlackGateway:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._client = WebClient(base_url=self.base_url, timeout=int(max(1, timeout)))
        self._client.retry_handlers.clear()

    def call(self, token: str, method: str, **params: Any) -> dict[str, Any]:
        """Call `method` with `token`; answers the response data or raises a SlackError."""
        # The SDK lifts `token` out of the body and sends it as the Bearer header.
        body = {**params, "token": token}
        try:
            if _sends_json(method):
                response = self._client.api_call(method, json=body)
            else:
                response = self._client.api_call(method, params=body)
        except SlackApiError as exc:
            raw = exc.response
            raise from_response(
                method, raw.status_code, raw.data, raw.headers.get("Retry-After")
            ) from exc
        except (SlackClientError, OSError, TimeoutError) as exc:
            # Connection refused, DNS, timeouts, a non-JSON 5xx: try again later.
            raise SlackTransientError(method, exc.__class__.__name__, str(exc)[:200]) from exc
        return dict(response.data) if isinstance(response.data, dict) else {}


def _sends_json(method: str) -> bool:
    # Slack takes JSON bodies for chat.* and views.*; the rest want form or query fields.
    return method.startswith(("chat.", "views."))
