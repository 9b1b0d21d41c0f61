"""Reading Slack messages the way a person sees them: the texts and the controls.

Tests assert on these exact strings instead of searching a message's repr, so
a label or text in the wrong block fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from watchkeep.fakeslack import Message, Reply, SignedRequest


def send_through(client: TestClient) -> Callable[[SignedRequest], Reply]:
    """Deliver the fake Slack's signed requests to the app under test."""

    def send(request: SignedRequest) -> Reply:
        answer = client.post(request.path, content=request.body, headers=request.headers)
        return Reply(answer.status_code, answer.content, dict(answer.headers))

    return send


def blocks_of(message: Message | dict[str, Any]) -> list[dict[str, Any]]:
    """Top-level blocks, then each attachment's."""
    if isinstance(message, Message):
        message = message.to_api()
    found = list(message.get("blocks") or [])
    for attachment in message.get("attachments") or []:
        found += attachment.get("blocks") or []
    return found


def texts(message: Message | dict[str, Any]) -> list[str]:
    """Every text a reader sees in the blocks, in order (headers, sections, fields, context)."""
    seen = []
    for block in blocks_of(message):
        parts = [block.get("text"), *block.get("fields", [])]
        if block["type"] == "context":
            parts += block.get("elements", [])
        seen += [part["text"] for part in parts if isinstance(part, dict) and "text" in part]
    return seen


def controls(message: Message | dict[str, Any]) -> list[str]:
    """The labels of its buttons and menus, in order."""
    labels = []
    for block in blocks_of(message):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            label = element.get("text") or element.get("placeholder")
            labels.append(label["text"])
    return labels
