"""Block Kit limits, checked directly and as Slack answers them over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from watchkeep.fakeslack import SlackState, Workspace
from watchkeep.fakeslack.blocks import block_errors, view_errors


def section(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str = "Ack", **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": "ack",
        **extra,
    }


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


VALID = [
    {"type": "header", "text": plain("SEV1: checkout down")},
    section("*Impact*", fields=[{"type": "mrkdwn", "text": "x"}] * 10, accessory=button()),
    {"type": "divider"},
    {"type": "actions", "elements": [button(value="v" * 2000, style="danger")] * 25},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
    {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "graph"},
]


def test_valid_blocks_at_every_limit_pass() -> None:
    assert block_errors(VALID) == []
    assert block_errors([section("x" * 3000, block_id="b" * 255)]) == []
    assert block_errors([{"type": "divider"}] * 50) == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "divider"}] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        (
            [{"type": "header", "text": plain("h" * 151)}],
            "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
            "must be one of: plain_text [json-pointer:/blocks/0/text/type]",
        ),
        (
            [section("x" * 3001)],
            "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        (
            [section(fields=[plain("f")] * 11)],
            "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
        ),
        (
            [section(fields=[plain("f" * 2001)])],
            "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
        ),
        (
            [section(accessory=button("b" * 76))],
            "must be less than 76 characters [json-pointer:/blocks/0/accessory/text/text]",
        ),
        (
            [section(accessory=button(value="v" * 2001))],
            "must be less than 2001 characters [json-pointer:/blocks/0/accessory/value]",
        ),
        (
            [section(accessory=button(action_id="a" * 256))],
            "must be less than 256 characters [json-pointer:/blocks/0/accessory/action_id]",
        ),
        (
            [section(block_id="b" * 256)],
            "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
        ),
        (
            [{"type": "actions", "elements": [button()] * 26}],
            "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
        ),
        (
            [{"type": "context", "elements": [plain("c")] * 11}],
            "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
        ),
        ([{"type": "sparkles"}], "unsupported type: sparkles [json-pointer:/blocks/0/type]"),
        ([{"text": "no type"}], "missing required field: type [json-pointer:/blocks/0]"),
        ([{"type": "section"}], "must provide either text or fields [json-pointer:/blocks/0]"),
    ],
)
def test_each_limit_is_reported_like_slack(blocks: list[Any], expected: str) -> None:
    assert expected in block_errors(blocks)


def test_modal_limits() -> None:
    view = {"type": "modal", "title": plain("t" * 24), "blocks": [{"type": "divider"}] * 100}
    assert view_errors(view) == []
    assert view_errors({**view, "title": plain("t" * 25)}) == [
        "must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert view_errors({**view, "blocks": [{"type": "divider"}] * 101}) == [
        "no more than 100 items allowed [json-pointer:/view/blocks]"
    ]
    assert view_errors({**view, "private_metadata": "m" * 3001}) == [
        "must be less than 3001 characters [json-pointer:/view/private_metadata]"
    ]


def test_invalid_blocks_over_http(web: WebClient, state: SlackState, ws: Workspace) -> None:
    state.add_channel(ws, "incidents")
    with pytest.raises(SlackApiError) as caught:
        web.chat_postMessage(channel="#incidents", text="t", blocks=[section("x" * 3001)])
    problem = "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    assert caught.value.response.status_code == 200
    assert caught.value.response.data == {
        "ok": False,
        "error": "invalid_blocks",
        "errors": [problem],
        "response_metadata": {"messages": [f"[ERROR] {problem}"]},
    }
    assert state.messages_in("#incidents") == []


def test_blocks_inside_attachments_are_validated(
    web: WebClient, state: SlackState, ws: Workspace
) -> None:
    state.add_channel(ws, "incidents")
    with pytest.raises(SlackApiError) as caught:
        web.chat_postMessage(
            channel="#incidents",
            text="t",
            attachments=[{"color": "#f00", "blocks": [{"type": "bogus"}]}],
        )
    assert caught.value.response["errors"] == [
        "unsupported type: bogus [json-pointer:/attachments/0/blocks/0/type]"
    ]


def test_update_validates_blocks_too(web: WebClient, state: SlackState, ws: Workspace) -> None:
    state.add_channel(ws, "incidents")
    ts = web.chat_postMessage(channel="#incidents", text="t")["ts"]
    with pytest.raises(SlackApiError) as caught:
        web.chat_update(channel="#incidents", ts=ts, text="t", blocks=[{"type": "divider"}] * 51)
    assert caught.value.response["error"] == "invalid_blocks"
    assert state.message("#incidents", ts).blocks is None
