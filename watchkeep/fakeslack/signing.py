"""Requests the fake Slack sends to the app, signed exactly as Slack signs them,
and the app's answers, in a shape that does not care how they travel."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class SignedRequest:
    """A POST to the app: its path, raw body and Slack's headers."""

    path: str
    body: str
    headers: dict[str, str]


def sign(path: str, body: str, *, secret: str, timestamp: float) -> SignedRequest:
    """``v0=`` HMAC-SHA256 over ``v0:<ts>:<body>``, via slack_sdk's own verifier."""
    ts = str(int(timestamp))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return SignedRequest(
        path,
        body,
        {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or "",
        },
    )


@dataclass(frozen=True)
class Reply:
    """What the app answered Slack."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)
