"""Channels for runbooks: find one by name or id, and create one without doubles.

Slack has no idempotency key, so Create Channel writes down the name it is
about to create before calling Slack. A retry that finds such a name with no
channel id does not know whether Slack made the channel: it looks the name up
first and adopts a channel our bot created, and only creates when there is
none. `name_taken` by anyone else moves on to `-2`, `-3`, ….
"""

from __future__ import annotations

import re
from typing import Any

from watchkeep.runbooks.context import channel_name
from watchkeep.runbooks.engine import StepFailed, StepWork
from watchkeep.slack import senders
from watchkeep.slack.errors import SlackPermanentError, SlackRateLimitedError, SlackTransientError
from watchkeep.slack.senders import Sender
from watchkeep.worker.handlers import JobContext, RetryLater

MAX_SUFFIX = 50
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def is_channel_id(ref: str) -> bool:
    return bool(_CHANNEL_ID.match(ref))


def outcome_known(exc: RetryLater) -> bool:
    """Whether Slack surely did not act: a pacing wait or a 429, not a timeout or 5xx."""
    cause = exc.__cause__
    return not isinstance(cause, SlackTransientError) or isinstance(cause, SlackRateLimitedError)


def find_by_name(
    steps: Any, context: JobContext, workspace: Sender, name: str
) -> dict[str, Any] | None:
    """The channel called `name` (public, or private with the bot in it), or None."""
    cursor = ""
    while True:
        answer = steps.delivery.call(
            context,
            workspace,
            "conversations.list",
            None,
            types="public_channel,private_channel",
            limit=200,
            cursor=cursor or None,
        )
        for channel in answer.get("channels", []):
            if channel.get("name") == name:
                return channel
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            return None


def create(steps: Any, context: JobContext, workspace: Sender, work: StepWork) -> None:
    """Make (or adopt) the incident channel; its id is saved before anything else happens."""
    result, params = work.result, work.params
    base = params["name"]
    suffix = result.get("suffix", 1)
    while "channel_id" not in result:
        if suffix > MAX_SUFFIX:
            raise StepFailed("name_taken", f"{base} and {base}-2 … -{MAX_SUFFIX} are all taken")
        name = base if suffix == 1 else channel_name(base, suffix=f"-{suffix}")
        if result.get("attempted") == name:
            found = find_by_name(steps, context, workspace, name)
            if found is not None and found.get("creator") == workspace.bot_user_id:
                _adopt(work, workspace, found)
                break
        work.save({**result, "attempted": name, "suffix": suffix})
        result.update(attempted=name, suffix=suffix)
        try:
            answer = steps.delivery.call(
                context,
                workspace,
                "conversations.create",
                None,
                name=name,
                is_private=bool(params.get("is_private")),
            )
        except RetryLater as exc:
            if outcome_known(exc):
                result.pop("attempted", None)
                work.save(result)
            raise
        except SlackPermanentError as exc:
            if exc.error != "name_taken":
                raise StepFailed(exc.error, f"conversations.create {name}") from exc
            suffix += 1
            continue
        _adopt(work, workspace, answer["channel"])


def _adopt(work: StepWork, workspace: Sender, channel: dict[str, Any]) -> None:
    work.result.update(
        **senders.made_by(workspace), channel_id=channel["id"], channel_name=channel["name"]
    )
    work.result.pop("attempted", None)
    work.save(work.result)
