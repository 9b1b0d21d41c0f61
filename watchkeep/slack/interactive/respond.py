"""Answers only the clicking user sees, sent through the outbox to their response_url.

A response_url is trusted only if it is https on hooks.slack.com, or on the
scheme, host and port of WATCHKEEP_SLACK_API_URL (the fake Slack in tests and
the sandbox). Anything else would let a forged payload make us POST anywhere.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.slack.client import SlackGateway
from watchkeep.slack.errors import SlackPermanentError, SlackRateLimitedError, SlackTransientError
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


def make_sender(gateway: SlackGateway, slack_api_url: str) -> Handler:
    def send(context: JobContext) -> None:
        url, text = context.job.payload["response_url"], context.job.payload["text"]
        if not trusted_response_url(url, slack_api_url):
            raise PermanentFailure("untrusted response_url")
        try:
            gateway.respond(url, text=text, response_type="ephemeral", replace_original=False)
        except SlackRateLimitedError as exc:
            raise RetryLater(str(exc), after_seconds=exc.retry_after) from exc
        except SlackTransientError as exc:
            raise RetryLater(str(exc)) from exc
        except SlackPermanentError as exc:
            raise PermanentFailure(str(exc)) from exc

    return send
