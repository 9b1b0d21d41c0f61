"""Answers only the clicking user sees, sent through the outbox to their response_url.

A response_url is trusted only if it is https on hooks.slack.com, or on the
scheme, host and port of WATCHKEEP_SLACK_API_URL (the fake Slack in tests and
the sandbox). Anything else would let a forged payload make us POST anywhere.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from slack_sdk.webhook import WebhookClient
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.worker.handlers import Handler, JobContext, PermanentFailure, RetryLater


def trusted_response_url(url: str | None, slack_api_url: str) -> bool:
    if not url:
        return False
    try:
        target, api = urlsplit(url), urlsplit(slack_api_url)
        target_port, api_port = target.port, api.port
    except ValueError:
        return False
    if target.scheme == "https" and target.hostname == "hooks.slack.com" and not target_port:
        return True
    return (target.scheme, target.hostname, target_port) == (api.scheme, api.hostname, api_port)


def enqueue_ephemeral(
    session: Session, response_url: str | None, text: str, *, slack_api_url: str, now: datetime
) -> bool:
    """Queue `text` for the clicking user; False (and nothing queued) for an untrusted URL."""
    if not trusted_response_url(response_url, slack_api_url):
        return False
    payload = {"response_url": response_url, "text": text}
    outbox.enqueue(session, outbox.JobKind.SLACK_RESPOND, payload, now=now)
    return True


def make_sender(slack_api_url: str, timeout: float) -> Handler:
    def send(context: JobContext) -> None:
        url, text = context.job.payload["response_url"], context.job.payload["text"]
        if not trusted_response_url(url, slack_api_url):
            raise PermanentFailure("untrusted response_url")
        try:
            response = WebhookClient(url, timeout=int(max(1, timeout))).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        except OSError as exc:
            raise RetryLater(f"response_url unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            after = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise RetryLater(f"response_url answered {response.status_code}", after_seconds=after)
        if response.status_code >= 400:
            # Expired (30 min) or used five times: nobody is waiting for it any more.
            raise PermanentFailure(f"response_url answered {response.status_code}: {response.body}")

    return send
