"""The skeleton every listener shares, written once: answer Slack, run the work,
and turn a `Refused` into what the user sees (a private reply to a click, an
inline error on the modal's block).

A listener is a small coroutine taking the payload (`body`) and the clicked
`action` or submitted `view`; it calls Slack, if at all, through `Interactions`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping

from slack_bolt.async_app import AsyncAck, AsyncApp

from watchkeep.slack.interactive.interactions import Interactions, Refused

Clicked = Callable[[dict, dict], Awaitable[None]]
# Answers the form's errors by block id, or None when the submission is done.
Submitted = Callable[[dict, dict], Awaitable[dict[str, str] | None]]


def on_click(
    app: AsyncApp, ix: Interactions, action_id: str | re.Pattern[str]
) -> Callable[[Clicked], Clicked]:
    """Register a button or menu listener: acked at once, refusals told privately."""

    def register(listener: Clicked) -> Clicked:
        # Bolt injects arguments by parameter name, so the wrapper spells them out.
        async def clicked(ack: AsyncAck, body: dict, action: dict) -> None:
            await ack()
            try:
                await listener(body, action)
            except Refused as refused:
                await ix.tell(body, refused.message)

        app.action(action_id)(clicked)
        ix.listeners.append(f"action:{action_id}")
        return listener

    return register


def on_submit(
    app: AsyncApp,
    ix: Interactions,
    callback_id: str,
    *,
    block: str,
    blocks: Mapping[str, str] | None = None,
) -> Callable[[Submitted], Submitted]:
    """Register a modal's submission listener. A refusal is shown on the block holding
    the refused field (`blocks` maps the core's field names to block ids), else `block`."""

    def register(listener: Submitted) -> Submitted:
        async def submitted(ack: AsyncAck, body: dict, view: dict) -> None:
            try:
                errors = await listener(body, view)
            except Refused as refused:
                errors = {(blocks or {}).get(refused.field or "", block): refused.message}
            if errors:
                await ack(response_action="errors", errors=errors)
            else:
                await ack()

        app.view(callback_id)(submitted)
        ix.listeners.append(f"view:{callback_id}")
        return listener

    return register
